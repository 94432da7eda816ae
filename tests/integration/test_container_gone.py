"""A container id from an earlier list may be gone by the time we use it (a `down` ran meanwhile).

Each test removes a real container on the real engine between the list call and the
call that uses its id, and checks the launcher takes it as "gone" instead of crashing
with docker's NotFound.
"""

from __future__ import annotations


import pytest

from tests.integration.engine_stack import free_ports
from tests.tui.helpers import copy_stack, title, wait_for
from wizard.core.docker.composeengine import ComposeEngine
from wizard.core.docker.containers import PROJECT_LABEL, SERVICE_LABEL
from wizard.core.support.errors import ContainerGone
from wizard.core.manifest.stack import load_stack

pytestmark = pytest.mark.integration


@pytest.fixture
def live_stack(tmp_path, compose_project):
    """The TUI's live fixture stack under a unique project name, initialised, nothing started."""
    from wizard.core.values.resolution import initialize

    root = copy_stack("live_stack", tmp_path)
    manifest = root / "stack.toml"
    manifest.write_text(manifest.read_text().replace('name = "tuilive"', f'name = "{compose_project}"'))
    stack = load_stack(manifest)
    (port,) = free_ports(1)
    initialize(stack, {"WEB_PORT": str(port)})
    return stack


def start_web(docker_client, images, project: str):
    """A real container the engine lists as the stack's `web` service (a busybox that sleeps)."""
    return docker_client.containers.run(
        images["busybox"], ["sh", "-c", "echo serving; exec sleep 300"], detach=True,
        name=f"{project}-web-1", labels={PROJECT_LABEL: project, SERVICE_LABEL: "web"})


class RemovingEngine(ComposeEngine):
    """The real engine; the first list call made while ``when()`` holds removes what it listed right after."""

    def __init__(self, stack, docker_client, when) -> None:
        super().__init__(stack)
        self.docker_client = docker_client
        self.when = when
        self.removed: list[str] = []

    def containers(self):
        listed = super().containers()
        if self.when is not None and self.when():
            self.when = None
            for container in listed:
                self.docker_client.api.remove_container(container.id, force=True)
                self.removed.append(container.id)
        return listed


def test_engine_calls_on_a_removed_container_say_gone(live_stack, docker_client, images, compose_project):
    start_web(docker_client, images, compose_project)
    engine = ComposeEngine(live_stack)
    [listed] = engine.containers()
    docker_client.api.remove_container(listed.id, force=True)

    assert engine.restart_counts([listed.id]) == {}
    assert engine.failure_details(listed.id) == ((), ())
    with pytest.raises(ContainerGone) as gone:
        list(engine.logs(listed.id, tail=10))
    assert listed.id[:12] in gone.value.message and "again" in gone.value.hint
    with pytest.raises(ContainerGone):
        engine.has_program(listed.name, "bash")


def test_snapshot_with_restart_counts_lists_again_when_a_container_went(live_stack, docker_client, images,
                                                                        compose_project):
    from wizard.core.lifecycle.status import NOT_CREATED, snapshot

    start_web(docker_client, images, compose_project)
    engine = RemovingEngine(live_stack, docker_client, when=lambda: True)
    rows = snapshot(live_stack, engine, restarts=True)

    assert engine.removed, "the container was removed between the list and its inspect"
    web = next(row for row in rows if row.service == "web")
    assert web.state == NOT_CREATED and web.container == ""


@pytest.mark.tui
@pytest.mark.asyncio
async def test_dashboard_log_pane_on_a_container_removed_meanwhile_refreshes(live_stack, docker_client, images,
                                                                             compose_project):
    from textual.widgets import DataTable

    from wizard.tui.app import LauncherApp
    from wizard.tui.control import StackControl

    start_web(docker_client, images, compose_project)
    app = None
    # Removed after the list of a refresh that then reads the open log pane: the race `d`, `y` hit.
    engine = RemovingEngine(live_stack, docker_client,
                            when=lambda: app is not None and getattr(app.screen, "logs_open", False))
    app = LauncherApp(live_stack, start="dashboard", control=StackControl(live_stack, engine=engine))
    errors: list[BaseException] = []
    app.report_error = errors.append  # the one place a failed worker would show up
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one("#services", DataTable)
        web = f"{compose_project}-web-1"
        await wait_for(pilot, timeout=30.0, condition=lambda: web in app.screen.rows)
        await pilot.press("l")
        await wait_for(pilot, timeout=30.0, condition=lambda: "service:web" in app.screen.rows)
        assert engine.removed
        assert str(table.get_cell("service:web", "state")) == "✗ not created"
        assert title(app).endswith("0/2 ready")
        await pilot.press("q")
    assert errors == []
