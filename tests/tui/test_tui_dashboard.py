"""The dashboard and the up-progress view over a fake engine: rows, health changes, keys.

Everything above the engine is real: ``wizard.core.lifecycle.status.snapshot`` builds the
rows and ``wizard.core.lifecycle.launch`` runs up, restart and down.
"""

from __future__ import annotations

import contextlib

import pytest
from textual.widgets import DataTable, Log

from tests.tui.helpers import title, wait_for
from wizard.exitcodes import ExitCode
from wizard.tui.app import LauncherApp
from wizard.tui.control import StackControl
from wizard.tui.screens.dashboard import DashboardScreen

pytestmark = [pytest.mark.tui, pytest.mark.asyncio]
SIZE = (80, 24)


def dashboard_app(stack, engine, start="dashboard"):
    return LauncherApp(stack, start=start, control=StackControl(stack, engine=engine))


def cell(app, key, column) -> str:
    return str(app.screen.query_one("#services", DataTable).get_cell(key, column))


async def test_rows_show_state_health_url_uptime_and_restarts(live_stack, fake_engine):
    app = dashboard_app(live_stack, fake_engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.screen.query_one("#services", DataTable).row_count == 2)
        web, worker = "tuilive-web-1", "tuilive-worker-1"
        assert [cell(app, web, c) for c in ("group", "service", "state", "health", "url", "uptime", "restarts")] \
            == ["web", "web", "✓ running", "healthy", "http://127.0.0.1:18090", "2m", "0"]
        assert cell(app, worker, "uptime") == "2h" and cell(app, worker, "restarts") == "3"
        assert title(app) == "tuilive: 2/2 ready"


async def test_health_changes_show_on_the_next_refresh(live_stack, fake_engine):
    app = dashboard_app(live_stack, fake_engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "2/2" in title(app))
        fake_engine.run("worker", health="unhealthy")
        await wait_for(pilot, lambda: cell(app, "tuilive-worker-1", "health") == "unhealthy")
        assert cell(app, "tuilive-worker-1", "state") == "✗ running"
        assert title(app).startswith("tuilive: 1/2 ready")
        fake_engine.stop("worker", exit_code=137)
        await wait_for(pilot, lambda: cell(app, "tuilive-worker-1", "state") == "✗ exited 137")
        fake_engine.run("worker")
        await wait_for(pilot, lambda: "2/2" in title(app))


async def test_refreshes_never_overlap_however_slow_docker_is(live_stack, fake_engine):
    fake_engine.list_delay = 0.3
    app = dashboard_app(live_stack, fake_engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: fake_engine.list_calls >= 1)
        for _ in range(6):  # every highlight and log toggle asks for a refresh on top of the timer
            await pilot.press("l", "down", "up", "l")
            await pilot.pause(0.1)
        await pilot.pause(1.0)
    assert fake_engine.max_concurrent == 1
    assert fake_engine.list_calls >= 3


async def test_restart_key_restarts_the_selected_service(live_stack, fake_engine):
    app = dashboard_app(live_stack, fake_engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "2/2" in title(app))
        await pilot.press("down", "r")
        await wait_for(pilot, lambda: ("restart", ("worker",)) in fake_engine.actions)
        await wait_for(pilot, lambda: any("restarted" in str(n.message) for n in app._notifications))


async def test_down_asks_first_and_no_keeps_everything(live_stack, fake_engine):
    app = dashboard_app(live_stack, fake_engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "2/2" in title(app))
        await pilot.press("d")
        await pilot.pause()
        assert type(app.screen).__name__ == "Confirm"
        await pilot.press("n")
        await pilot.pause(0.3)
        assert isinstance(app.screen, DashboardScreen)
        assert not [a for a in fake_engine.actions if a[0] == "down"]
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await wait_for(pilot, lambda: ("down", False) in fake_engine.actions)
        await wait_for(pilot, lambda: cell(app, "service:web", "state") == "✗ not created")
        assert title(app).startswith("tuilive: 0/2 ready")


async def test_logs_key_shows_the_selected_service_log_tail(live_stack, fake_engine):
    app = dashboard_app(live_stack, fake_engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "2/2" in title(app))
        pane = app.screen.query_one("#log-pane", Log)
        assert not pane.display
        await pilot.press("l")
        await wait_for(pilot, lambda: any("GET / 200" in line for line in pane.lines))
        assert pane.display and "tuilive-web-1: listening on 8080" in pane.lines
        await pilot.press("down")
        await wait_for(pilot, lambda: any(line.startswith("tuilive-worker-1") for line in pane.lines))
        await pilot.press("l")
        assert not pane.display


async def test_shell_key_suspends_the_app_and_comes_back(live_stack, fake_engine):
    app = dashboard_app(live_stack, fake_engine)
    suspended = []

    @contextlib.contextmanager
    def suspend():
        suspended.append(True)
        yield

    app.suspend = suspend  # the headless test driver cannot give the terminal away
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "2/2" in title(app))
        await pilot.press("s")
        await wait_for(pilot, lambda: ("shell", "web", ("sh",)) in fake_engine.actions)
        assert suspended == [True]
        assert isinstance(app.screen, DashboardScreen)


async def test_up_key_runs_launch_up_and_returns_to_the_dashboard(live_stack, fake_engine):
    fake_engine.stop("worker", exit_code=0)
    app = dashboard_app(live_stack, fake_engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "1/2" in title(app))
        await pilot.press("u")
        await wait_for(pilot, lambda: ("start", ("worker",)) in fake_engine.actions)
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await wait_for(pilot, lambda: "2/2" in title(app))


async def test_quit_key_exits_with_ok(live_stack, fake_engine):
    app = dashboard_app(live_stack, fake_engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "2/2" in title(app))
        await pilot.press("q")
    assert app.return_value == ExitCode.OK


async def test_up_view_shows_a_failed_service_logs_in_place(live_stack, fake_engine):
    fake_engine.states.clear()
    fake_engine.fail_on_start = {"worker"}
    app = dashboard_app(live_stack, fake_engine, start="up")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.screen.failed)
        screen = app.screen
        table = screen.query_one("#progress", DataTable)
        assert str(table.get_cell("service:web", "state")) == "✓ healthy"
        assert str(table.get_cell("service:worker", "state")) == "✗ failed"
        assert str(table.get_cell("group:worker", "state")) == "✗ failed"
        lines = screen.query_one("#up-log", Log).lines
        assert "    fatal: cannot reach the database" in lines
        assert "    exit 1: connection refused" in lines
        assert any("launcher logs worker" in line for line in lines)
        await pilot.press("q")
    assert app.return_value == ExitCode.UNHEALTHY


async def test_up_view_hands_over_to_the_dashboard_when_all_is_healthy(live_stack, fake_engine):
    fake_engine.states.clear()
    app = dashboard_app(live_stack, fake_engine, start="up")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await wait_for(pilot, lambda: "2/2" in title(app))
        assert [a for a in fake_engine.actions if a[0] == "start"] == [("start", ("web",)), ("start", ("worker",))]


async def test_wizard_start_now_hands_over_to_up_then_the_dashboard(tmp_path):
    """The last wizard step writes, then "Start now" runs launch.up in the up view, then the dashboard."""
    from tests.tui.helpers import FakeEngine, copy_stack, fixed_session
    from wizard.core.docker.model import PublishedPort, ServiceSpec
    from wizard.core.manifest.stack import load_stack
    from wizard.tui.screens import ReviewScreen

    stack = load_stack(copy_stack("live_stack", tmp_path) / "stack.toml")
    engine = FakeEngine(stack, [
        ServiceSpec("web", "web", healthcheck=True, ports=(PublishedPort(18090, 8080, "127.0.0.1"),)),
        ServiceSpec("worker", "worker", healthcheck=True),
    ])
    session = fixed_session(stack)
    app = LauncherApp(stack, start="init", session=session, control=StackControl(stack, engine=engine))
    async with app.run_test(size=SIZE) as pilot:
        while not isinstance(app.screen, ReviewScreen):
            await pilot.press("ctrl+n")
            await pilot.pause()
        await wait_for(pilot, lambda: app.screen.query_one("#files", DataTable).row_count > 0)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: app.init_result is not None)
        await pilot.press("enter")  # "Start now" has the focus
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await wait_for(pilot, lambda: title(app) == "tuilive: 2/2 ready")
        assert [a for a in engine.actions if a[0] == "start"] == [("start", ("web",)), ("start", ("worker",))]
        await pilot.press("q")
    assert app.return_value == ExitCode.OK
    assert (stack.root / ".env").is_file()

