"""Every command's --help ends with two or three examples, and each example is a command line
the real parser accepts, for the command it stands under."""

from __future__ import annotations

import argparse
import shlex

import pytest

from wizard.cli import build_parser
from wizard.commands.examples import EXAMPLES


def parsers(parser=None, words: tuple[str, ...] = ()):
    """(words after `launcher`, parser) for launcher itself and every command and action below it."""
    parser = parser or build_parser(["--help"])
    yield words, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for word, sub in action.choices.items():
                yield from parsers(sub, (*words, word))


ALL = {" ".join(words): parser for words, parser in parsers()}


def examples_in(help_text: str) -> list[str]:
    """The command lines of the help's examples section (its last)."""
    head, found, section = help_text.rpartition("\nexamples:\n")
    assert found, "no examples section"
    return [line.strip() for line in section.splitlines() if line.strip().startswith("launcher ")]


def test_every_command_has_examples_and_none_is_left_over():
    assert set(ALL) == set(EXAMPLES)


@pytest.mark.parametrize("command", sorted(ALL), ids=lambda command: command or "launcher")
def test_help_ends_with_examples_that_parse(command):
    help_text = ALL[command].format_help()
    lines = examples_in(help_text)
    assert 2 <= len(lines) <= 3, lines
    assert help_text.rstrip().endswith(lines[-1])
    for line in lines:
        argv = shlex.split(line)[1:]
        assert argv[:len(command.split())] == command.split(), f"{line!r} is not an example of {command!r}"
        build_parser(argv).parse_args(argv)  # the real parser: raises UsageError on a bad example


def test_a_bad_example_would_be_caught():
    with pytest.raises(Exception, match="unrecognized arguments"):
        argv = shlex.split("launcher plan --bogus")[1:]
        build_parser(argv).parse_args(argv)
