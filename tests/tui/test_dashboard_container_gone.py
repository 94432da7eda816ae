"""The dashboard acting on a row whose container was removed since the last refresh (a `down` elsewhere)."""

from __future__ import annotations

import pytest

from tests.tui.helpers import title, wait_for
from wizard.core.docker.failures import container_gone
from wizard.tui.app import LauncherApp
from wizard.tui.control import StackControl

pytestmark = [pytest.mark.tui, pytest.mark.asyncio]


async def test_shell_on_a_container_gone_meanwhile_says_so_and_refreshes(live_stack, fake_engine):
    def gone(container, program):
        fake_engine.states.clear()  # what the engine lists from now on: nothing
        raise container_gone(container)

    fake_engine.has_program = gone
    app = LauncherApp(live_stack, start="dashboard", control=StackControl(live_stack, engine=fake_engine))
    errors: list[BaseException] = []
    app.report_error = errors.append
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "2/2" in title(app))
        await pilot.press("s")
        await wait_for(pilot, lambda: any("no running container" in str(n.message) for n in app._notifications))
        await wait_for(pilot, lambda: "0/2" in title(app))
        assert not any(action[0] == "shell" for action in fake_engine.actions)
    assert errors == []
