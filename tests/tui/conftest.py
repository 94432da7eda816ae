"""Fixtures of the TUI tests: fresh copies of the fixture stacks."""

from __future__ import annotations

import pytest

from tests.tui.helpers import copy_stack
from wizard.core.stack import load_stack


@pytest.fixture
def wizard_stack(tmp_path):
    """The wizard fixture stack, copied so each test writes its own files."""
    return load_stack(copy_stack("wizard_stack", tmp_path) / "stack.toml")
