"""A stack's upgrade steps on the real engine: SQL for one version move, run once by `launcher upgrade`."""

from __future__ import annotations

import pytest

from tests.integration.engine_stack import engine_stack, project_containers  # noqa: F401
from tests.integration.test_upgrade_volume import sql

pytestmark = pytest.mark.integration

STEPS = """
[steps.to-17]
kind = "postgres-upgrade"
after = "db"
description = "What moving from 15 to 17 needs"
service = "postgres"
from_image = "launcher-test/postgres:15*"
to_image = "launcher-test/postgres17:*"
dir = "upgrades/to-17"
dsn = "postgresql://postgres:${PG_PASSWORD}@127.0.0.1:${PG_PORT}/postgres"

[steps.to-99]
kind = "postgres-upgrade"
after = "db"
service = "postgres"
to_image = "launcher-test/postgres:99*"
dir = "upgrades/to-99"
dsn = "postgresql://postgres:${PG_PASSWORD}@127.0.0.1:${PG_PORT}/postgres"
"""
MOVED = "CREATE TABLE public.moved (server integer);\nINSERT INTO public.moved SELECT current_setting('server_version_num')::int / 10000;\n"


def test_upgrade_steps_run_once_for_their_move_and_a_failing_one_rolls_back(engine_stack, docker_client):
    root = engine_stack.root
    (root / "stack.toml").write_text((root / "stack.toml").read_text() + STEPS)
    (root / "upgrades" / "to-17").mkdir(parents=True)
    (root / "upgrades" / "to-99").mkdir()
    # Never run: `up` does not run upgrade steps, and no move to a 99 image is ever planned.
    (root / "upgrades" / "to-99" / "001_never.sql").write_text("SELECT 1/0;\n")
    (root / "upgrades" / "to-17" / "001_moved.sql").write_text(MOVED + "SELECT 1/0;\n")
    assert engine_stack.launcher("up").returncode == 0
    engine_stack.edit("compose/db.yml", "launcher-test/postgres:15", "launcher-test/postgres17:17")

    failed = engine_stack.launcher("upgrade", "--yes")

    assert failed.returncode == 9, failed.stdout + failed.stderr
    assert "upgrade rolled back" in failed.stderr and "001_moved.sql:3" in failed.stderr, failed.stderr
    back = project_containers(docker_client, engine_stack.project)["postgres"]
    assert sql(back, "postgres", "SHOW server_version").startswith("15.")
    assert sql(back, "postgres", "SELECT to_regclass('public.moved') IS NULL") == "t"
    assert not docker_client.volumes.list(filters={"name": f"{engine_stack.project}_pgdata-pg17"})

    (root / "upgrades" / "to-17" / "001_moved.sql").write_text(MOVED)
    done = engine_stack.launcher("upgrade", "--yes")

    assert done.returncode == 0, done.stdout + done.stderr
    new = project_containers(docker_client, engine_stack.project)["postgres"]
    assert sql(new, "postgres", "SELECT server FROM public.moved") == "17"
    assert sql(new, "postgres", "SELECT path FROM launcher.applied_upgrades") == "001_moved.sql"
    # Kept apart from the seeds' record, which the upgrade copied over from 15 unchanged.
    assert sql(new, "postgres", "SELECT count(*) FROM launcher.applied_seeds WHERE path LIKE '%moved%'") == "0"
    assert engine_stack.launcher("up").returncode == 0
    assert sql(new, "postgres", "SELECT count(*) FROM public.moved") == "1"

    # Deleting the stack's volumes deletes the upgrade's too (compose keeps external volumes),
    # and the switch that named them: the next `up` starts afresh on 17.
    assert engine_stack.launcher("down", "--volumes", "--yes").returncode == 0
    assert not docker_client.volumes.list(filters={"label": f"com.docker.compose.project={engine_stack.project}"})
    assert not (root / ".launcher" / "upgrade.yml").exists()
    assert engine_stack.launcher("up").returncode == 0
    fresh = project_containers(docker_client, engine_stack.project)["postgres"]
    assert sql(fresh, "postgres", "SELECT to_regclass('public.moved') IS NULL") == "t"
