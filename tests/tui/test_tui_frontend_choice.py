"""Which front end runs: --non-interactive and pipes never load textual or questionary."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.tui.helpers import copy_stack

UI = ("textual", "questionary", "prompt_toolkit")


def modules_after_cli(argv: list[str], cwd) -> tuple[int, set[str]]:
    """Run the CLI in a fresh interpreter (stdin and stdout are pipes); the modules it loaded."""
    code = ("import sys\nfrom wizard.cli import main\ncode = main(%r)\n"
            "print('MODULES', ' '.join(sys.modules))\nsys.exit(code)" % (argv,))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd,
                            stdin=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO),
                                 "XDG_STATE_HOME": os.environ["XDG_STATE_HOME"]})
    line = next(line for line in result.stdout.splitlines() if line.startswith("MODULES "))
    return result.returncode, set(line.split()[1:])


@pytest.mark.parametrize("argv, expected", [
    (["init", "--non-interactive"], 0),
    (["init"], 0),  # no terminal: the non-interactive path, never a prompt
    (["init", "--plain", "--dry-run"], 0),
    (["plan"], 0),
    (["up"], 8),  # no env files yet: preflight stops it, still without a UI library
    (["dashboard"], 8),  # no terminal: one plain status table (here: not initialised)
], ids=lambda value: " ".join(value) if isinstance(value, list) else str(value))
def test_no_ui_library_without_a_terminal(tmp_path, argv, expected):
    root = copy_stack("wizard_stack", tmp_path)
    code, loaded = modules_after_cli(["--stack", str(root), *argv], tmp_path)
    assert sorted(name for name in loaded if name.split(".")[0] in UI) == []
    assert code == expected
    if argv[0] == "init" and "--dry-run" not in argv:
        assert (root / ".launcher" / "values.env").is_file()


def test_use_tui_needs_a_terminal_and_no_plain(monkeypatch):
    from argparse import Namespace

    from wizard.commands.context import interactive, use_tui

    class Tty:
        def isatty(self):
            return True

    args = Namespace(non_interactive=False, json=False, plain=False)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("LAUNCHER_NON_INTERACTIVE", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setattr(sys, "stdin", Tty())
    monkeypatch.setattr(sys, "stdout", Tty())
    assert use_tui(args)
    assert not use_tui(Namespace(non_interactive=False, json=False, plain=True))
    assert interactive(Namespace(non_interactive=False, json=False, plain=True))
    assert not use_tui(Namespace(non_interactive=True, json=False, plain=False))
    monkeypatch.setenv("TERM", "dumb")
    assert not use_tui(args)
