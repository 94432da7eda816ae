"""Two of the stack's port settings on one port: `launcher up` exits 8 before starting anything."""

from __future__ import annotations

import pytest

from tests.integration.engine_stack import PROJECT_LABEL, engine_stack  # noqa: F401 - a fixture
from wizard.exitcodes import ExitCode

pytestmark = pytest.mark.integration


def test_up_and_doctor_stop_on_two_settings_sharing_a_port(engine_stack, docker_client):  # noqa: F811
    pg_port = engine_stack.ports["PG_PORT"]
    # As an adopted env file would have it: both settings on one port, each free on its own.
    result = engine_stack.launcher("init", "--non-interactive", f"--set=REDIS_PORT={pg_port}")
    assert result.returncode == 0, result.stderr

    result = engine_stack.launcher("up", "--non-interactive")
    assert result.returncode == ExitCode.PREFLIGHT, result.stdout + result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"launcher: settings PG_PORT and REDIS_PORT both use port {pg_port} — ")
    assert "launcher init --set REDIS_PORT=" in line
    label = f"{PROJECT_LABEL}={engine_stack.project}"
    assert docker_client.containers.list(all=True, filters={"label": label}) == []

    result = engine_stack.launcher("doctor")
    assert result.returncode == ExitCode.PREFLIGHT, result.stdout + result.stderr
    shared = [line for line in result.stdout.splitlines() if f"port {pg_port}" in line]
    assert len(shared) == 1 and "PG_PORT and REDIS_PORT both use" in shared[0]
