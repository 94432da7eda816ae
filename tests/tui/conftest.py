"""Fixtures of the TUI tests: fresh copies of the fixture stacks (built by tests/tui/scenes.py)."""

from __future__ import annotations

import pytest

from tests.tui.scenes import live_stack_in, scripted_engine, wizard_stack_in


@pytest.fixture
def wizard_stack(tmp_path):
    """The wizard fixture stack, copied so each test writes its own files."""
    return wizard_stack_in(tmp_path)


@pytest.fixture
def live_stack(tmp_path):
    """The startable fixture stack, copied and initialised (env files written)."""
    return live_stack_in(tmp_path)


@pytest.fixture
def fake_engine(live_stack):
    """A scripted engine for the live stack: web (port 18090) and worker, both running and healthy."""
    return scripted_engine(live_stack)
