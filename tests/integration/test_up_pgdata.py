"""`up` on the real engine refuses a Postgres 15 data volume under a 17 image, before anything is created.

The engine test stack's volume is made by launcher-test/postgres:15; the compose file then
names launcher-test/postgres17:17, as when a team pulls new pins. `up` must exit 8 naming the
upgrade, with the 15 container untouched (or, when the stack was down, no container at all);
a volume whose data matches its image passes, the one `launcher upgrade` switched to included.
"""

from __future__ import annotations

import pytest

from tests.integration.engine_stack import engine_stack, json_lines, project_containers  # noqa: F401

pytestmark = pytest.mark.integration

OLD, NEW = "launcher-test/postgres:15", "launcher-test/postgres17:17"


def state(client, project: str) -> dict[str, tuple[str, str, str]]:
    return {service: (c.id, c.attrs["Image"], c.status)
            for service, c in project_containers(client, project).items()}


def data_checks(result) -> list[dict]:
    return [event for event in json_lines(result.stdout)
            if event.get("event") == "preflight-check" and event.get("check", "").startswith("data ")]


def test_up_refuses_15_data_under_a_17_image_and_changes_nothing(engine_stack, docker_client):
    assert engine_stack.launcher("up").returncode == 0
    before = state(docker_client, engine_stack.project)
    volume = f"{engine_stack.project}_pgdata"
    engine_stack.edit("compose/db.yml", OLD, NEW)

    refused = engine_stack.launcher("up")

    assert refused.returncode == 8, refused.stdout + refused.stderr
    [line] = refused.stderr.strip().splitlines()
    for words in ("service postgres", volume, "PostgreSQL 15 data", NEW, "PostgreSQL 17",
                  "`launcher upgrade --plan`", "then `launcher upgrade`"):
        assert words in line, line
    # Not one container created, recreated or stopped: the 15 server runs on, on its volume.
    assert state(docker_client, engine_stack.project) == before
    assert before["postgres"][2] == "running"

    # Stopped stacks too: nothing is created, and the line says the old server is needed.
    assert engine_stack.launcher("down").returncode == 0
    again = engine_stack.launcher("up", "--json")
    assert again.returncode == 8, again.stdout + again.stderr
    assert "previous image first" in again.stderr
    [failed] = data_checks(again)
    assert failed["status"] == "fail" and volume in failed["detail"]
    assert project_containers(docker_client, engine_stack.project) == {}


def test_a_volume_that_matches_its_image_passes_and_the_answer_is_kept(engine_stack, docker_client):
    assert engine_stack.launcher("up").returncode == 0
    assert engine_stack.launcher("down").returncode == 0

    # The volume exists and no container proves it: read once, then taken from the record cache.
    first = engine_stack.launcher("up", "--json")
    assert first.returncode == 0, first.stdout + first.stderr
    [checked] = data_checks(first)
    assert checked["status"] == "ok" and "PostgreSQL 15 data" in checked["detail"]
    assert engine_stack.launcher("down").returncode == 0
    second = engine_stack.launcher("up", "--json")
    assert second.returncode == 0, second.stdout + second.stderr
    assert data_checks(second) == []


def test_after_an_upgrade_up_reads_the_volume_the_switch_names(engine_stack, docker_client):
    assert engine_stack.launcher("up").returncode == 0
    engine_stack.edit("compose/db.yml", OLD, NEW)
    upgraded = engine_stack.launcher("upgrade", "--yes")
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    assert engine_stack.launcher("down").returncode == 0

    # No container to vouch for it, the old 15 volume still there: the check must read the new one.
    result = engine_stack.launcher("up", "--json", env={"LAUNCHER_NO_CACHE": "1"})

    assert result.returncode == 0, result.stdout + result.stderr
    [checked] = data_checks(result)
    assert f"{engine_stack.project}_pgdata-pg17" in checked["detail"] and "PostgreSQL 17 data" in checked["detail"]
