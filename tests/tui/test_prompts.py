"""The questionary wizard (--plain) driven through prompt_toolkit's pipe input."""

from __future__ import annotations

import pytest

from tests.tui.helpers import copy_stack, files_under
from wizard.core.support.errors import Cancelled
from wizard.core.manifest.stack import load_stack
from wizard.core.lifecycle.initsession import InitSession, PortStatus
from wizard.frontends.prompts import run_prompts

DOWN, UP, ENTER, BACKSPACE = "\x1b[B", "\x1b[A", "\r", "\x7f"


@pytest.fixture
def all_ports_free(monkeypatch):
    """The port check answers "free" everywhere, so the questions asked do not depend on the machine."""
    monkeypatch.setattr(InitSession, "port_statuses", lambda self: [
        PortStatus(spec.name, int(self.settings[spec.name]), "ok", "free") for spec in self.port_settings()])


def drive(stack, keys: str):
    """Run the prompts with keys typed in advance; what run_prompts returns."""
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text(keys)
        return run_prompts(stack)


def test_prompts_write_what_init_non_interactive_writes(tmp_path, all_ports_free, run_launcher):
    root = copy_stack("wizard_stack", tmp_path / "prompts")
    stack = load_stack(root / "stack.toml")
    keys = "".join([
        ENTER,  # profiles: none
        "n",  # keep these values? no
        DOWN, DOWN, " ", DOWN, DOWN, " ", DOWN, DOWN, " ", ENTER,  # change WEB_PORT, ADMIN_USER, LOG_LEVEL
        BACKSPACE * 5, "18181", ENTER,
        BACKSPACE * 5, "root", ENTER,
        UP, ENTER,  # LOG_LEVEL: debug (one above info)
        ENTER,  # regenerate: none
        "n",  # show the values? no
        ENTER,  # no Mongo URI
        "y",  # write
        "n",  # start now? no
    ])
    assert drive(stack, keys) == 0
    written = files_under(root)
    app_env = (root / "env/app.env").read_text()
    assert "ADMIN_USER=root" in app_env and "LOG_LEVEL=debug" in app_env
    assert "WEB_PORT=18181" in (root / ".env").read_text()

    from wizard.core.values.resolution import current_values

    values = current_values(stack)
    other = copy_stack("wizard_stack", tmp_path / "cli")
    env = {f"LAUNCHER_{spec.name}": values[spec.name] for spec in stack.secrets}
    # A machine of its own (its own instance registry): there it is the first instance too, same name and ports.
    env["XDG_STATE_HOME"] = str(tmp_path / "other-machine")
    result = run_launcher("--stack", str(other), "init", "--non-interactive", "--set", "WEB_PORT=18181",
                          "--set", "ADMIN_USER=root", "--set", "LOG_LEVEL=debug", env=env)
    assert result.returncode == 0, result.stderr
    assert files_under(other) == written


def test_ctrl_c_at_a_prompt_writes_nothing(tmp_path, all_ports_free):
    root = copy_stack("wizard_stack", tmp_path)
    before = files_under(root)
    with pytest.raises(Cancelled):
        drive(load_stack(root / "stack.toml"), "\x03")
    assert files_under(root) == before


def test_declining_to_write_writes_nothing(tmp_path, all_ports_free):
    root = copy_stack("wizard_stack", tmp_path)
    before = files_under(root)
    with pytest.raises(Cancelled):
        drive(load_stack(root / "stack.toml"), ENTER + "y" + ENTER + "n" + ENTER + "n")
    assert files_under(root) == before


def test_a_rerun_on_a_stack_that_gained_a_secret_names_what_it_added(tmp_path, all_ports_free, capsys):
    from wizard.core.values.resolution import current_values, initialize

    root = copy_stack("wizard_stack", tmp_path)
    initialize(load_stack(root / "stack.toml"), {})
    before = current_values(load_stack(root / "stack.toml"))
    (root / "stack.toml").write_text((root / "stack.toml").read_text() + '\n[secrets.WEBHOOK_SECRET]\nkind = "hex"\n'
                                     'length = 32\n')
    (root / "envtemplates/app.env").write_text((root / "envtemplates/app.env").read_text()
                                               + "WEBHOOK_SECRET=${WEBHOOK_SECRET}\n")
    capsys.readouterr()
    stack = load_stack(root / "stack.toml")
    keys = "".join([
        ENTER,  # profiles: none
        "y",  # keep these values? yes
        ENTER,  # regenerate: none
        "n",  # show the values? no
        ENTER,  # no Mongo URI
        "y",  # write
        "n",  # start now? no
    ])

    assert drive(stack, keys) == 0

    said = capsys.readouterr().out
    assert "would add (declared since the last init; existing values kept): WEBHOOK_SECRET" in said  # the review
    assert "\nadded (declared since the last init; existing values kept): WEBHOOK_SECRET" in said
    after = current_values(stack)
    assert {name: after[name] for name in before} == before
    assert len(after["WEBHOOK_SECRET"]) == 32 and after["WEBHOOK_SECRET"] not in said
