"""Snapshots (pytest-textual-snapshot) of every wizard step, the dashboard and the up view, at 80x24.

Deterministic by construction: fixed secrets and JWT time, a fixed port check, a
fake engine with fixed uptimes, no clock on screen. Update after a deliberate
change with `pytest tests/tui/test_tui_snapshots.py --snapshot-update` and look
at the SVGs in tests/tui/__snapshots__/; the scenes live in tests/tui/scenes.py, shared with
the docs' pictures (`.venv/bin/python -m tests.docs.regenerate` after such a change).
"""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from tests.tui.scenes import (at_step, dashboard_app, logs_of_second_row, settle, until_rows, wizard_app,
                              worker_unhealthy)
from wizard.tui.app import LauncherApp
from wizard.tui.control import StackControl

pytestmark = pytest.mark.tui
SIZE = (80, 24)


@pytest.mark.parametrize("step, keys", [
    (0, ()),  # welcome
    (1, ()),  # services
    (2, ()),  # ports and settings, one port busy
    (3, ("v",)),  # secrets, the first one revealed
    (4, ()),  # data
    (5, ()),  # review
], ids=["welcome", "services", "ports", "secrets", "data", "review"])
def test_wizard_step(snap_compare, wizard_stack, step, keys):
    assert snap_compare(wizard_app(wizard_stack), terminal_size=SIZE, run_before=at_step(step, *keys))


def test_wizard_review_after_writing(snap_compare, wizard_stack):
    assert snap_compare(wizard_app(wizard_stack), terminal_size=SIZE, run_before=at_step(6))


def test_wizard_rerun_welcome(snap_compare, wizard_stack):
    from wizard.core.values.resolution import initialize

    initialize(wizard_stack, {})
    assert snap_compare(wizard_app(wizard_stack), terminal_size=SIZE)


def test_dashboard(snap_compare, live_stack, fake_engine):
    app = dashboard_app(live_stack, fake_engine)
    assert snap_compare(app, terminal_size=SIZE, run_before=lambda pilot: until_rows(pilot, 2))


def test_dashboard_unhealthy_with_logs(snap_compare, live_stack, fake_engine):
    app = dashboard_app(live_stack, worker_unhealthy(fake_engine))

    assert snap_compare(app, terminal_size=SIZE, run_before=logs_of_second_row)


def test_dashboard_down_asks(snap_compare, live_stack, fake_engine):
    app = dashboard_app(live_stack, fake_engine)

    async def run_before(pilot) -> None:
        await until_rows(pilot, 2)
        await pilot.press("d")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_ports_step_without_colour(snap_compare, wizard_stack, monkeypatch):
    """NO_COLOR: Textual's monochrome filter; free and busy still read apart (✓ / ✗ and words)."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = wizard_app(wizard_stack)
    assert app.no_color
    assert snap_compare(app, terminal_size=SIZE, run_before=at_step(2))


class ScriptedImages:
    """The engine's image calls for the up view: nothing here yet, and pulls that send what dockerd sends."""

    def __init__(self, pulls: dict[str, list[dict]]) -> None:
        self.pulls = pulls

    def find(self, references):
        return {reference: None for reference in references}

    def pull(self, reference):
        yield from self.pulls[reference]


def layer_pull(layer: str, total: int, upto: int, steps: int, error: str = "") -> list[dict]:
    messages = [{"status": "Pulling fs layer", "progressDetail": {}, "id": layer}]
    messages += [{"status": "Downloading", "progressDetail": {"current": upto * n // steps, "total": total},
                  "id": layer} for n in range(1, steps + 1)]
    if error:
        return messages + [{"errorDetail": {"message": error}, "error": error}]
    return messages + [{"status": "Download complete", "progressDetail": {}, "id": layer},
                       {"status": "Pull complete", "progressDetail": {}, "id": layer}]


def test_up_view_pulling_images(snap_compare, live_stack):
    """The first `up` on a new machine: one row per image and a bar for every byte; a pull that breaks stops it."""
    from tests.tui.helpers import FakeEngine
    from wizard.core.docker.model import PublishedPort, ServiceSpec

    engine = FakeEngine(live_stack, [
        ServiceSpec("web", "web", healthcheck=True, ports=(PublishedPort(18090, 8080, "127.0.0.1"),),
                    image="example/web:1"),
        ServiceSpec("worker", "worker", healthcheck=True, image="registry.example.test/worker:2"),
    ])
    engine.image_store = ScriptedImages({
        "example/web:1": layer_pull("aa11", 12_000_000, 12_000_000, 4),
        # 15 of 20 MB: 75% falls on a whole bar cell, so the bar draws the same however its first frame raced the layout.
        "registry.example.test/worker:2": layer_pull("bb22", 8_000_000, 3_000_000, 4, error="unexpected EOF"),
    })
    app = LauncherApp(live_stack, start="up", control=StackControl(live_stack, engine=engine))

    async def run_before(pilot) -> None:
        for _ in range(200):
            if pilot.app.screen.done:
                break
            await pilot.pause(0.05)
        await settle(pilot)
        table = pilot.app.screen.query_one("#progress", DataTable)
        assert str(table.get_cell("image:example/web:1", "state")) == "✓ pulled 12.0 MB"
        assert str(table.get_cell("image:registry.example.test/worker:2", "state")) == "✗ failed"
        assert engine.actions == []  # nothing was started

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
