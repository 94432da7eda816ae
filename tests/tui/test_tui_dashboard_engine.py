"""The dashboard over the real Docker engine and Compose v2: rows, restart, down."""

from __future__ import annotations


import pytest
from textual.widgets import DataTable

from tests.integration.engine_stack import free_ports
from tests.tui.helpers import copy_stack, title, wait_for
from wizard.core.manifest.stack import load_stack
from wizard.core.values.resolution import initialize
from wizard.exitcodes import ExitCode
from wizard.tui.app import LauncherApp
from wizard.tui.control import StackControl

pytestmark = [pytest.mark.integration, pytest.mark.tui, pytest.mark.asyncio]


@pytest.fixture
def running_stack(tmp_path, images, compose_project, run_launcher):
    """The live fixture stack under a unique project name, started with `launcher up`."""
    root = copy_stack("live_stack", tmp_path)
    manifest = root / "stack.toml"
    manifest.write_text(manifest.read_text().replace('name = "tuilive"', f'name = "{compose_project}"'))
    stack = load_stack(manifest)
    initialize(stack, {"WEB_PORT": str(free_ports(1)[0])})
    result = run_launcher("--stack", str(root), "up", "--non-interactive", timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    return stack


async def test_dashboard_on_the_real_engine_restarts_and_takes_the_stack_down(
        running_stack, docker_client, compose_project):
    from wizard.core.values.resolution import current_values

    port = current_values(running_stack)["WEB_PORT"]
    app = LauncherApp(running_stack, start="dashboard", control=StackControl(running_stack))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, timeout=60.0, condition=lambda: title(app) == f"{compose_project}: 2/2 ready")
        table = app.screen.query_one("#services", DataTable)
        web = f"{compose_project}-web-1"
        assert str(table.get_cell(web, "health")) == "healthy"
        assert str(table.get_cell(web, "url")) == f"http://127.0.0.1:{port}"
        started_at = docker_client.containers.get(web).attrs["State"]["StartedAt"]

        await pilot.press("r")  # the first row: web
        await wait_for(pilot, timeout=60.0, condition=lambda: any("restarted" in str(n.message) for n in app._notifications))
        assert docker_client.containers.get(web).attrs["State"]["StartedAt"] != started_at
        await wait_for(pilot, timeout=60.0, condition=lambda: title(app).endswith("2/2 ready"))

        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        # `down` stops the containers before it removes them: wait for the rows of services
        # with no container, not only for the count of ready ones.
        await wait_for(pilot, timeout=60.0,
                       condition=lambda: title(app).endswith("0/2 ready") and "service:web" in table.rows)
        assert str(table.get_cell("service:web", "state")) == "✗ not created"
        await pilot.press("q")
    assert app.return_value == ExitCode.OK
    label = f"com.docker.compose.project={compose_project}"
    assert docker_client.containers.list(all=True, filters={"label": label}) == []
