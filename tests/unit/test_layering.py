"""The layering rules of ../shared/ARCHITECTURE.md, checked on every run.

The rules themselves are import-linter contracts in pyproject.toml (each exception commented
there); this test runs them, so breaking a layer fails the suite rather than a review.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

MAX_MODULE_LINES = 450


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_contracts_cover_every_layer():
    import tomllib

    contracts = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    kinds = {contract["type"] for contract in contracts}
    sources = {module for contract in contracts for module in contract.get("source_modules", [])}
    assert "acyclic_siblings" in kinds
    assert {"wizard.core", "wizard.tui", "wizard.frontends", "wizard.commands"} <= sources


def test_no_module_is_longer_than_one_job_needs():
    long = {str(path.relative_to(REPO)): n for path in sorted((REPO / "wizard").rglob("*.py"))
            if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}
