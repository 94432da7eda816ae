"""The daily `up` on a running stack does as little as it can, yet notices every change that matters.

A stopped service, an env file changed by hand, a changed seed file and a rotated
secret: each must be seen by the next `up` even though a no-op `up` lists the
containers once and skips the database when nothing changed (wizard.core.seeds.postgres.cache).
"""

from __future__ import annotations

import socket

import pytest

from tests.integration.engine_stack import engine_stack, free_ports, json_lines, project_containers  # noqa: F401

pytestmark = pytest.mark.integration


def started(result) -> list[str]:
    return json_lines(result.stdout)[-1]["details"]["started"]


def test_the_daily_up_notices_what_changed(engine_stack, docker_client):
    stack = engine_stack
    first = stack.launcher("up", "--json", "--pull", "never")
    assert first.returncode == 0, first.stdout + first.stderr

    # Nothing changed: nothing started but the job that completed, which runs again as compose
    # runs it; the seed reported unchanged (from the record, same words).
    noop = stack.launcher("up", "--json")
    assert noop.returncode == 0, noop.stderr
    assert started(noop) == ["migrate"]
    progress = [e["message"] for e in json_lines(noop.stdout) if e["event"] == "step-progress"]
    assert progress == ["00_tables/001_items.sql: already applied, unchanged"]

    # A stopped service is started again, and only it.
    project_containers(docker_client, stack.project)["redis"].stop()
    again = stack.launcher("up", "--json")
    assert again.returncode == 0, again.stdout + again.stderr
    assert started(again) == ["redis", "migrate"]

    # The env file changed by hand: the new port is checked (and found busy) before anything starts.
    env = stack.root / ".env"
    original_env = env.read_text()
    [moved] = free_ports(1)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", moved))
        holder.listen()
        stack.edit(".env", f"WEB_PORT={stack.ports['WEB_PORT']}", f"WEB_PORT={moved}")
        busy = stack.launcher("up")
    assert busy.returncode == 8, busy.stdout + busy.stderr  # ExitCode.PREFLIGHT
    assert f"port {moved} is busy" in busy.stderr
    env.write_text(original_env)

    # A changed seed file is refused, naming it; put back, the daily up is a no-op again.
    seed = stack.root / "seeds" / "postgres" / "00_tables" / "001_items.sql"
    original_seed = seed.read_text()
    seed.write_text(original_seed + "\n-- edited after it was applied\n")
    changed = stack.launcher("up")
    assert changed.returncode == 10, changed.stdout + changed.stderr  # ExitCode.SEED_FAILED
    assert "001_items.sql" in changed.stderr and "changed since it was applied" in changed.stderr
    seed.write_text(original_seed)
    back = stack.launcher("up", "--json")
    assert back.returncode == 0, back.stdout + back.stderr
    assert started(back) == ["migrate"]

    # A rotated password: the seed step connects with it (postgres still has the old one) and says so.
    rotated = stack.launcher("secrets", "rotate", "PG_PASSWORD", "--yes")
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    refused = stack.launcher("up")
    assert refused.returncode == 10, refused.stdout + refused.stderr
    assert "cannot connect to PostgreSQL" in refused.stderr and "password authentication failed" in refused.stderr
