"""Fixtures of the TUI tests: fresh copies of the fixture stacks."""

from __future__ import annotations

import pytest

from tests.tui.helpers import copy_stack
from wizard.core.manifest.stack import load_stack


@pytest.fixture
def wizard_stack(tmp_path):
    """The wizard fixture stack, copied so each test writes its own files."""
    return load_stack(copy_stack("wizard_stack", tmp_path) / "stack.toml")


@pytest.fixture
def live_stack(tmp_path):
    """The startable fixture stack, copied and initialised (env files written)."""
    from wizard.core.values.resolution import initialize

    stack = load_stack(copy_stack("live_stack", tmp_path) / "stack.toml")
    initialize(stack, {})
    return stack


@pytest.fixture
def fake_engine(live_stack):
    """A scripted engine for the live stack: web (port 18090) and worker, both running and healthy."""
    from tests.tui.helpers import FakeEngine
    from wizard.core.docker.model import PublishedPort, ServiceSpec

    engine = FakeEngine(live_stack, [
        ServiceSpec("web", "web", healthcheck=True, ports=(PublishedPort(18090, 8080, "127.0.0.1"),)),
        ServiceSpec("worker", "worker", healthcheck=True, depends_on=()),
    ])
    engine.run("web")
    engine.run("worker", uptime=7200.0)
    return engine
