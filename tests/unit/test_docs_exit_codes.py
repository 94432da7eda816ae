"""docs/exit-codes.md lists exactly the exit codes of wizard/exitcodes.py: scripts branch on them."""

from __future__ import annotations

import re

from tests.unit.docs_pages import DOCS
from wizard.exitcodes import ExitCode


def test_the_exit_codes_page_lists_exactly_the_exit_codes():
    rows = re.findall(r"^\| (\d+) \|", (DOCS / "exit-codes.md").read_text(encoding="utf-8"), re.M)
    assert [int(code) for code in rows] == sorted(code.value for code in ExitCode)
