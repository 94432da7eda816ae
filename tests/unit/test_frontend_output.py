"""One home for what the user sees: --json read once, JSON lines or plain lines, each option listed once."""

from __future__ import annotations

import argparse
import ast
import json
from argparse import Namespace
from collections import Counter

import pytest

from tests.conftest import REPO
from wizard.commands.context import frontend
from wizard.core.support.events import Note, StepFinished
from wizard.frontends.output import JsonLines, PlainLines


def names_read(attribute: str) -> list[str]:
    """Every ``<something>.<attribute>`` read under wizard/, as path:line."""
    found = []
    for path in sorted((REPO / "wizard").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == attribute and isinstance(node.ctx, ast.Load):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}")
    return found


def test_json_flag_is_read_in_one_place():
    [where] = names_read("json")
    assert where.startswith("wizard/commands/context.py:")


def test_front_ends_and_the_tui_import_no_command_and_not_the_cli():
    for package in ("frontends", "tui"):
        for path in sorted((REPO / "wizard" / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                modules = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                           else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                for module in modules:
                    assert not module.startswith(("wizard.commands", "wizard.cli")), f"{path} imports {module}"


def test_the_context_picks_json_lines_or_plain_lines():
    assert isinstance(frontend(Namespace(json=True, non_interactive=False, plain=False)), JsonLines)
    plain = frontend(Namespace(json=False, non_interactive=True, plain=False))
    assert isinstance(plain, PlainLines) and not plain.bars  # nobody to draw bars for


def test_json_lines_print_the_data_and_never_the_words(capsys):
    JsonLines().show({"ok": True}, lambda: pytest.fail("words rendered for --json"))
    JsonLines().stream(iter([Note(message="hello")]))
    first, second = capsys.readouterr().out.splitlines()
    assert json.loads(first) == {"ok": True}
    assert json.loads(second)["message"] == "hello"


def test_plain_lines_print_text_lines_or_nothing(capsys):
    plain = PlainLines()
    plain.show({}, "one\ntwo")
    plain.show({}, ["three", "four"])
    plain.show({}, [])  # no lines: nothing at all, not an empty line
    plain.show({}, lambda: ["five"])
    assert capsys.readouterr().out == "one\ntwo\nthree\nfour\nfive\n"


def test_plain_stream_renders_events_and_sends_error_events_to_stderr(capsys):
    events = [Note(message="first"), StepFinished(step="seed", summary="3 files")]
    PlainLines().stream(iter(events))
    assert capsys.readouterr().out == "first\n  step seed: 3 files\n"
    PlainLines().stream(iter(events), lambda event: [type(event).__name__], errors=(StepFinished,))
    out, err = capsys.readouterr()
    assert (out, err) == ("Note\n", "StepFinished\n")


def test_bars_are_drawn_only_in_a_full_terminal():
    drawn = []

    class Bars:
        def __enter__(self):
            return self

        def __exit__(self, *exc_info):
            drawn.append("closed")

        def show(self, event):
            drawn.append(event.message)

    PlainLines(bars=True).stream(iter([Note(message="a")]), bars=Bars)
    assert drawn == ["a", "closed"]
    PlainLines(bars=False).stream(iter([Note(message="b")]), lambda event: [], bars=Bars)
    assert drawn == ["a", "closed"]


def test_every_help_lists_each_option_once():
    from wizard.cli import build_parser

    def walk(parser, path):
        options = Counter(option for action in parser._actions for option in action.option_strings)
        assert [option for option, count in options.items() if count > 1] == [], path
        listed = Counter(line.split()[0] for line in parser.format_help().splitlines()
                         if line.strip().startswith("--"))
        assert [option for option, count in listed.items() if count > 1] == [], path
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from walk(sub, [*path, name])
        yield path

    walked = list(walk(build_parser(), ["launcher"]))
    assert ["launcher", "secrets", "rotate"] in walked
