"""The Textual init wizard driven with Pilot: forward and back, cancel, finish, the live port check."""

from __future__ import annotations

import os
import socket
import stat

import jwt
import pytest
from textual.widgets import DataTable, Input, Select

from tests.tui.helpers import FIXED_SECRETS, files_under, fixed_session, wait_for
from wizard.exitcodes import ExitCode
from wizard.tui.app import LauncherApp
from wizard.tui.screens import (DataScreen, PortsScreen, ReviewScreen, SecretsScreen, ServicesScreen,
                                WelcomeScreen)
from wizard.tui.widgets.profile_list import ProfileList
from wizard.tui.widgets.setting_field import SettingField

pytestmark = [pytest.mark.tui, pytest.mark.asyncio]
SIZE = (80, 24)


async def go_to(pilot, app, screen_type) -> None:
    while not isinstance(app.screen, screen_type):
        await pilot.press("ctrl+n")
        await pilot.pause()


def field(app, name) -> SettingField:
    return app.screen.query_one(f"#setting-{name}", SettingField)


async def type_into(pilot, app, name: str, text: str) -> None:
    editor = field(app, name).query_one(Input)
    editor.focus()
    editor.value = ""
    await pilot.press(*text)
    await pilot.pause()


async def test_walks_forward_and_back_keeping_every_answer(wizard_stack):
    session = fixed_session(wizard_stack)
    app = LauncherApp(wizard_stack, start="init", session=session)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, ServicesScreen)
        profiles = app.screen.query_one(ProfileList)
        profiles.focus()
        await pilot.press("space")  # the first profile: admin
        assert session.profiles == ["admin"]
        assert str(profiles.get_option_at_index(0).prompt) == "[x] admin  (db)"
        assert str(profiles.get_option_at_index(1).prompt) == "[ ] debug  (app)"

        await pilot.press("ctrl+n")
        assert isinstance(app.screen, PortsScreen)
        await type_into(pilot, app, "WEB_PORT", "18181")
        await type_into(pilot, app, "ADMIN_USER", "root")
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, SecretsScreen)

        await pilot.press("ctrl+p")
        assert isinstance(app.screen, PortsScreen)
        assert field(app, "WEB_PORT").query_one(Input).value == "18181"
        assert field(app, "ADMIN_USER").query_one(Input).value == "root"
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, ServicesScreen)
        assert app.screen.query_one(ProfileList).chosen == {"admin"}

        await go_to(pilot, app, DataScreen)
        await pilot.press("ctrl+p", "ctrl+p")
        assert isinstance(app.screen, PortsScreen)
        assert field(app, "WEB_PORT").query_one(Input).value == "18181"
        await go_to(pilot, app, ReviewScreen)
        assert session.changed_settings() == {"WEB_PORT": ("18080", "18181"), "ADMIN_USER": ("admin", "root")}


async def test_escape_leaves_without_writing_anything(wizard_stack):
    before = files_under(wizard_stack.root)
    app = LauncherApp(wizard_stack, start="init", session=fixed_session(wizard_stack))
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, app, PortsScreen)
        await type_into(pilot, app, "WEB_PORT", "18181")
        await go_to(pilot, app, ReviewScreen)
        await wait_for(pilot, lambda: app.screen.query_one("#files", DataTable).row_count > 0)
        await pilot.press("escape")
    assert app.return_value == ExitCode.CANCELLED
    assert app.init_result is None
    assert files_under(wizard_stack.root) == before


async def test_invalid_answer_keeps_the_wizard_on_its_step(wizard_stack):
    app = LauncherApp(wizard_stack, start="init", session=fixed_session(wizard_stack))
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, app, PortsScreen)
        await type_into(pilot, app, "PUBLIC_URL", "not-a-url")
        status = field(app, "PUBLIC_URL").query_one(".setting-status")
        assert "is not a URL" in str(status.render())
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, PortsScreen)
        await type_into(pilot, app, "PUBLIC_URL", "http://localhost:9999")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, SecretsScreen)


async def test_busy_port_names_its_holder_and_offers_a_free_one(wizard_stack):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    busy = holder.getsockname()[1]
    try:
        app = LauncherApp(wizard_stack, start="init", session=fixed_session(wizard_stack))
        async with app.run_test(size=SIZE) as pilot:
            await go_to(pilot, app, PortsScreen)
            await type_into(pilot, app, "DB_PORT", str(busy))
            row = field(app, "DB_PORT")
            await wait_for(pilot, lambda: row.suggestion is not None)
            text = str(row.query_one(".setting-status").render())
            assert text.startswith("✗ held by process") and f"pid {os.getpid()}" in text
            assert row.suggestion != busy
            # The offered port is taken with the "use N" button: checked again, and free.
            button = row.query_one(".use-suggestion")
            assert button.display and str(row.suggestion) in str(button.label)
            suggestion = row.suggestion
            button.focus()
            await pilot.press("enter")
            await wait_for(pilot, lambda: row.suggestion is None)
            assert row.query_one(Input).value == str(suggestion)
            assert app.session.settings["DB_PORT"] == str(suggestion)
            assert "✓" in str(row.query_one(".setting-status").render())
    finally:
        holder.close()


async def test_secrets_reveal_and_regenerate_one_with_the_jwts_it_signs(wizard_stack):
    session = fixed_session(wizard_stack)
    app = LauncherApp(wizard_stack, start="init", session=session)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, app, SecretsScreen)
        table = app.screen.query_one("#secrets", DataTable)
        assert table.get_cell("DB_PASSWORD", "value") == "********"
        await pilot.press("v")
        assert table.get_cell("DB_PASSWORD", "value") == FIXED_SECRETS["DB_PASSWORD"]
        await pilot.press("v")
        assert table.get_cell("DB_PASSWORD", "value") == "********"

        old_key = session.secret_value("ANON_KEY")
        await pilot.press("down", "g")  # JWT_SECRET: new this run, so no question asked
        new_secret = session.secret_value("JWT_SECRET")
        assert new_secret != FIXED_SECRETS["JWT_SECRET"]
        assert table.get_cell("JWT_SECRET", "origin") == "regenerated"
        assert table.get_cell("ANON_KEY", "origin") == "re-signed"
        assert session.secret_value("ANON_KEY") != old_key
        claims = jwt.decode(session.secret_value("ANON_KEY"), new_secret, algorithms=["HS256"])
        assert claims["role"] == "anon"


async def test_finish_writes_what_init_non_interactive_writes_for_the_same_answers(
        wizard_stack, tmp_path, run_launcher):
    session = fixed_session(wizard_stack)
    app = LauncherApp(wizard_stack, start="init", session=session)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, app, PortsScreen)
        await type_into(pilot, app, "WEB_PORT", "18181")
        await type_into(pilot, app, "ADMIN_USER", "root")
        field(app, "LOG_LEVEL").query_one(Select).value = "debug"
        await pilot.pause()
        await go_to(pilot, app, SecretsScreen)
        await pilot.press("down", "down", "down", "g")  # regenerate API_TOKEN
        await go_to(pilot, app, ReviewScreen)
        await wait_for(pilot, lambda: app.screen.query_one("#files", DataTable).row_count > 0)
        await pilot.press("ctrl+n")  # Write files
        await wait_for(pilot, lambda: app.init_result is not None)
        assert app.screen.query_one("#start-now").display
        await pilot.press("escape")
    assert app.return_value == ExitCode.OK
    wizard_files = files_under(wizard_stack.root)
    assert {".launcher/values.env", ".env", "env/app.env", ".gitignore"} <= set(wizard_files)
    for name in (".launcher/values.env", ".env", "env/app.env"):
        assert stat.S_IMODE((wizard_stack.root / name).stat().st_mode) == 0o600

    # The same answers through the non-interactive CLI, with the secrets the wizard generated injected.
    from tests.tui.helpers import copy_stack

    other = copy_stack("wizard_stack", tmp_path / "cli")
    secrets = {spec.name: session.secret_value(spec.name) for spec in wizard_stack.secrets}
    env = {f"LAUNCHER_{name}": value for name, value in secrets.items()}
    # A machine of its own (its own instance registry): there it is the first instance too, same name and ports.
    env["XDG_STATE_HOME"] = str(tmp_path / "other-machine")
    result = run_launcher("--stack", str(other), "init", "--non-interactive", "--set", "WEB_PORT=18181",
                          "--set", "ADMIN_USER=root", "--set", "LOG_LEVEL=debug", env=env)
    assert result.returncode == 0, result.stderr
    assert files_under(other) == wizard_files
    written = (wizard_stack.root / "env/app.env").read_text()
    assert "LOG_LEVEL=debug" in written and "ADMIN_USER=root" in written


async def test_rerun_keeps_every_value_and_changes_no_file(wizard_stack):
    from wizard.core.values.resolution import initialize

    initialize(wizard_stack, {})
    before = files_under(wizard_stack.root)
    session = fixed_session(wizard_stack)
    assert session.existed and session.pinned == {}
    app = LauncherApp(wizard_stack, start="init", session=session)
    async with app.run_test(size=SIZE) as pilot:
        assert "re-run keeps every value" in str(app.screen.query_one(".note").render())
        await go_to(pilot, app, SecretsScreen)
        table = app.screen.query_one("#secrets", DataTable)
        assert {table.get_cell(spec.name, "origin") for spec in wizard_stack.secrets} == {"kept"}
        await go_to(pilot, app, ReviewScreen)
        await wait_for(pilot, lambda: app.screen.query_one("#files", DataTable).row_count > 0)
        table = app.screen.query_one("#files", DataTable)
        assert {table.get_cell(key, "action") for key in (".env", "env/app.env", ".launcher/values.env")} == \
            {"unchanged"}
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: app.init_result is not None)
    assert files_under(wizard_stack.root) == before


async def test_regenerating_a_kept_secret_asks_first(wizard_stack):
    from wizard.core.values.resolution import current_values, initialize

    initialize(wizard_stack, {})
    kept = current_values(wizard_stack)["DB_PASSWORD"]
    session = fixed_session(wizard_stack)
    app = LauncherApp(wizard_stack, start="init", session=session)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, app, SecretsScreen)
        await pilot.press("g")
        await pilot.pause()
        assert type(app.screen).__name__ == "Confirm"
        await pilot.press("n")
        await pilot.pause()
        assert session.secret_value("DB_PASSWORD") == kept
        await pilot.press("g")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert session.secret_value("DB_PASSWORD") != kept
        assert session.origins["DB_PASSWORD"] == "regenerated"


async def test_mongo_source_is_kept_in_memory_only(wizard_stack):
    uri = "mongodb://reader:s3cret-pass@db.example.internal:27017/appdb"
    session = fixed_session(wizard_stack)
    app = LauncherApp(wizard_stack, start="init", session=session)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, app, DataScreen)
        source = app.screen.query_one("#mongo-source", Input)
        source.focus()
        await pilot.press(*"mongodb://reader:pw@host:27017")  # no database named
        assert "name the database" in str(app.screen.query_one("#mongo-problem").render())
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, DataScreen)
        source.value = uri
        await pilot.pause()
        assert session.mongo_db == "appdb"
        await go_to(pilot, app, ReviewScreen)
        await wait_for(pilot, lambda: app.screen.query_one("#files", DataTable).row_count > 0)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: app.init_result is not None)
    assert session.mongo_source == uri
    for content in files_under(wizard_stack.root).values():
        assert b"s3cret-pass" not in content and b"db.example.internal" not in content


async def test_review_names_the_values_declared_since_the_last_init(wizard_stack):
    from wizard.core.lifecycle.initsession import InitSession
    from wizard.core.manifest.stack import load_stack
    from wizard.core.values.resolution import initialize

    root = wizard_stack.root
    initialize(wizard_stack, {})
    (root / "stack.toml").write_text((root / "stack.toml").read_text() + '\n[secrets.WEBHOOK_SECRET]\nkind = "hex"\n'
                                     'length = 32\n')
    stack = load_stack(root / "stack.toml")
    app = LauncherApp(stack, start="init", session=InitSession.start(stack))
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, app, ReviewScreen)
        await wait_for(pilot, lambda: app.screen.query_one("#files", DataTable).row_count > 0)
        summary = str(app.screen.query_one("#summary").render())
        assert "would add (declared since the last init; existing values kept): WEBHOOK_SECRET" in summary
        await pilot.press("escape")
