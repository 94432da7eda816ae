"""The wizard's secrets step names published demo values and replaces them in one step."""

from __future__ import annotations

import pytest

from tests.tui.helpers import copy_stack
from tests.tui.test_prompts import ENTER, all_ports_free, drive  # noqa: F401
from wizard.core.values.secrets import is_demo
from wizard.core.manifest.stack import load_stack
from wizard.core.lifecycle.initsession import InitSession

DEMO_PASSWORD = "your-super-secret-and-long-postgres-password"  # upstream's .env.example


def hand_made(tmp_path, name: str):
    root = copy_stack("wizard_stack", tmp_path / name)
    (root / ".env").write_text(f"DB_PASSWORD={DEMO_PASSWORD}\nWEB_PORT=18080\n")
    return load_stack(root / "stack.toml")


def test_session_finds_and_replaces_demo_values(tmp_path):
    session = InitSession.start(hand_made(tmp_path, "session"))
    assert session.demo_secrets() == ["DB_PASSWORD"]
    assert session.replace_demo() == ["DB_PASSWORD"]
    assert session.demo_secrets() == [] and session.origins["DB_PASSWORD"] == "regenerated"
    assert not is_demo(session.secret_value("DB_PASSWORD"))


def test_prompts_offer_to_replace_them(tmp_path, all_ports_free):  # noqa: F811
    stack = hand_made(tmp_path, "prompts")
    # profiles: none; keep the values; replace demo values: yes; regenerate: none; show: no;
    # no Mongo URI; write; start now: no.
    assert drive(stack, ENTER + "y" + "y" + ENTER + "n" + ENTER + "y" + "n") == 0
    env = (stack.root / ".env").read_text()
    assert DEMO_PASSWORD not in env and "WEB_PORT=18080" in env


@pytest.mark.tui
@pytest.mark.asyncio
async def test_secrets_screen_says_so_and_d_replaces_them(tmp_path):
    from textual.widgets import Static

    from tests.tui.test_tui_wizard import SIZE, go_to
    from wizard.tui.app import LauncherApp
    from wizard.tui.screens import SecretsScreen

    stack = hand_made(tmp_path, "tui")
    session = InitSession.start(stack)
    app = LauncherApp(stack, start="init", session=session)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, app, SecretsScreen)
        notice = app.screen.query_one("#demo-values", Static)
        assert "DB_PASSWORD" in str(notice.render())
        await pilot.press("d")
        await pilot.pause()
        assert session.demo_secrets() == []
        assert "replaced" in str(notice.render())
