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
