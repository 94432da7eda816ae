"""argparse quotes what it did not understand: a mistyped flag must not put a secret on the terminal."""

from __future__ import annotations

import pytest

from wizard.cli import hide_values
from wizard.exitcodes import ExitCode

SECRET = "supersecretvalue"


@pytest.mark.parametrize("argv, understood", [
    (["init", "--sett", f"JWT_SECRET={SECRET}"], ["--sett …"]),
    (["init", "--non-interactive", f"--sett=JWT_SECRET={SECRET}"], ["--sett=…"]),
    (["init", "--sett", f"JWT_SECRET=two words {SECRET}"], ["--sett …"]),
    (["status", f"--json={SECRET}"], ["--json"]),
    (["plan", f"SMTP_PASS={SECRET}"], ["SMTP_PASS=…"]),
    (["status", "--bogus", SECRET], ["--bogus …"]),
    (["init", "--set=NAME", SECRET], ["unrecognized arguments: …"]),
])
def test_a_mistyped_argument_is_named_but_its_value_is_not_echoed(tmp_path, run_launcher, argv, understood):
    result = run_launcher(*argv, cwd=tmp_path)
    assert result.returncode == ExitCode.USAGE
    assert SECRET not in result.stderr and SECRET not in result.stdout
    [line] = result.stderr.splitlines()
    assert line.startswith("launcher: ")
    for part in understood:
        assert part in line, line


def test_hide_values_keeps_plain_words_and_hides_only_values():
    message = "unrecognized arguments: --sett JWT_SECRET=abc --flag=x plain"
    assert hide_values(message) == "unrecognized arguments: --sett … --flag=… …"
    assert hide_values("unrecognized arguments: stray --bogus value") == "unrecognized arguments: stray --bogus …"
    assert hide_values("argument --json: ignored explicit argument 'p4ss'", ["--json=p4ss"]) == \
        "argument --json: ignored explicit argument '…'"


@pytest.mark.parametrize("argv, named", [
    (["up", "--pull", SECRET], "argument --pull: invalid choice (choose from never, missing, always)"),
    (["up", f"--pull={SECRET}"], "argument --pull: invalid choice (choose from never, missing, always)"),
    ([SECRET], "argument COMMAND: invalid choice (choose from init, "),
    (["snapshot", SECRET], "argument ACTION: invalid choice (choose from save, list, rm, restore)"),
    (["completion", SECRET], "argument shell: invalid choice (choose from bash, zsh, fish)"),
    (["up", "--timeout", SECRET], "argument --timeout: the value is not a number of seconds"),
    (["status", "--interval", SECRET], "argument --interval: invalid float value"),
])
def test_a_word_in_place_of_a_choice_or_command_is_never_repeated(tmp_path, run_launcher, argv, named):
    result = run_launcher(*argv, cwd=tmp_path)
    assert result.returncode == ExitCode.USAGE
    assert SECRET not in result.stderr and SECRET not in result.stdout
    [line] = result.stderr.splitlines()
    assert line.startswith(f"launcher: {named}"), line
