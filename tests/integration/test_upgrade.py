"""`launcher upgrade` on the real engine: the plan of a Postgres 15 -> 17 move, and nothing changed by it."""

from __future__ import annotations

import json

import pytest

from tests.integration.engine_stack import engine_stack, project_containers  # noqa: F401

pytestmark = pytest.mark.integration


def test_plan_says_nothing_to_do_then_lists_the_major_move_and_changes_nothing(engine_stack, docker_client):
    up = engine_stack.launcher("up")
    assert up.returncode == 0, up.stderr

    same = engine_stack.launcher("upgrade", "--plan")
    assert same.returncode == 0, same.stderr
    assert "nothing to upgrade" in same.stdout

    before = {service: (c.id, c.attrs["Image"]) for service, c in project_containers(docker_client, engine_stack.project).items()}
    engine_stack.edit("compose/db.yml", "launcher-test/postgres:15", "launcher-test/postgres17:17")
    planned = engine_stack.launcher("upgrade", "--plan", "--json")
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(planned.stdout)
    assert plan["images"] == [{"service": "postgres", "old": "launcher-test/postgres:15",
                               "new": "launcher-test/postgres17:17"}]
    [major] = plan["majors"]
    assert (major["service"], major["old_major"], major["new_major"]) == ("postgres", 15, 17)
    assert major["volume"] == f"{engine_stack.project}_pgdata"

    words = engine_stack.launcher("upgrade", "--plan")
    assert "postgres: PostgreSQL 15 -> 17" in words.stdout, words.stdout
    after = {service: (c.id, c.attrs["Image"]) for service, c in project_containers(docker_client, engine_stack.project).items()}
    assert after == before  # the plan recreated, stopped or repointed nothing
