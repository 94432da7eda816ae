"""The scenes the TUI snapshot tests photograph, shared with the docs' pictures.

tests/tui/test_tui_snapshots.py compares them with its snapshots; tests/docs/pictures.py
renders some of them into docs/images/. One setup for both, so the pictures in the
docs are what the tests hold the program to.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from tests.tui.helpers import FakeEngine, copy_stack, fixed_port_checker, fixed_session
from wizard.core.manifest.stack import Stack, load_stack
from wizard.tui.app import LauncherApp
from wizard.tui.control import StackControl
from wizard.tui.screens import WIZARD_STEPS


def wizard_stack_in(folder: Path) -> Stack:
    """The wizard fixture stack, copied into ``folder`` so each run writes its own files."""
    return load_stack(copy_stack("wizard_stack", folder) / "stack.toml")


def live_stack_in(folder: Path) -> Stack:
    """The startable fixture stack, copied into ``folder`` and initialised (env files written)."""
    from wizard.core.values.resolution import initialize

    stack = load_stack(copy_stack("live_stack", folder) / "stack.toml")
    initialize(stack, {})
    return stack


def scripted_engine(stack: Stack) -> FakeEngine:
    """A scripted engine for the live stack: web (port 18090) and worker, both running and healthy."""
    from wizard.core.docker.model import PublishedPort, ServiceSpec

    engine = FakeEngine(stack, [
        ServiceSpec("web", "web", healthcheck=True, ports=(PublishedPort(18090, 8080, "127.0.0.1"),)),
        ServiceSpec("worker", "worker", healthcheck=True, depends_on=()),
    ])
    engine.run("web")
    engine.run("worker", uptime=7200.0)
    return engine


def worker_unhealthy(engine: FakeEngine) -> FakeEngine:
    """The scripted engine with its worker restarted 45 s ago and failing its healthcheck."""
    engine.run("worker", health="unhealthy", uptime=45.0)
    return engine


def wizard_app(stack: Stack) -> LauncherApp:
    """`launcher init`'s wizard with fixed secrets and a fixed port check (one port busy)."""
    session = fixed_session(stack)
    session.port_checker = fixed_port_checker
    return LauncherApp(stack, start="init", session=session)


def dashboard_app(stack: Stack, engine: FakeEngine) -> LauncherApp:
    """The dashboard over a scripted engine."""
    return LauncherApp(stack, start="dashboard", control=StackControl(stack, engine=engine))


async def settle(pilot) -> None:
    """Wait until two screenshots a moment apart are the same.

    Worker results arrive as messages and a DataTable sizes its columns on an idle after
    its rows change; on a loaded CI machine a fixed pause can catch the header before it
    follows the rows. A screen that stopped changing is the one to photograph.
    """
    before = pilot.app.export_screenshot()
    for _ in range(50):
        await pilot.pause(0.1)
        now = pilot.app.export_screenshot()
        if now == before:
            return
        before = now
    raise AssertionError("the screen never settled")


def at_step(steps: int, *then: str):
    """A run_before that presses ctrl+n `steps` times, then the given keys, and lets workers finish."""

    async def run_before(pilot) -> None:
        for _ in range(steps):
            await pilot.press("ctrl+n")
            await pilot.pause()
        if then:
            await pilot.press(*then)
        await pilot.pause(0.5)
        await pilot.app.workers.wait_for_complete()
        await settle(pilot)
        # A crashed app photographs as an empty screen: make sure the step is really there.
        expected = WIZARD_STEPS[min(steps, len(WIZARD_STEPS) - 1)]
        assert isinstance(pilot.app.screen, expected) and pilot.app.screen.query("#step-header")

    return run_before


async def until_rows(pilot, count: int) -> None:
    """Let the dashboard run until its table shows ``count`` services and the title says ready."""
    assert pilot.app.is_running
    table = pilot.app.screen.query_one("#services", DataTable)
    for _ in range(200):
        if table.row_count == count and "ready" in str(pilot.app.screen.query_one("#dash-title").render()):
            break
        await pilot.pause(0.05)
    await settle(pilot)


async def logs_of_second_row(pilot) -> None:
    """On the dashboard: select the second service and open its log pane, once lines arrived."""
    await until_rows(pilot, 2)
    await pilot.press("down", "l")
    for _ in range(200):
        if pilot.app.screen.query_one("#log-pane").lines:
            break
        await pilot.pause(0.05)
    await pilot.pause()
