"""`launcher upgrade` on the real engine: the plan of a Postgres 15 -> 17 move, and nothing changed by it."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.integration.engine_stack import engine_stack, project_containers  # noqa: F401
from tests.integration.test_upgrade_volume import seed, sql

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


def figures(container, database: str = "shop") -> dict[str, str]:
    return {"customers": sql(container, database, "SELECT count(*) FROM sales.customers"),
            "events": sql(container, database, "SELECT count(*) FROM audit.events"),
            "sequence": sql(container, database, "SELECT last_value FROM sales.customers_id_seq"),
            "trigger": sql(container, database, "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"),
            "function": sql(container, database, "SELECT 'audit.touch()'::regprocedure::text")}


def never_healthy(engine_stack) -> None:
    """The postgres service's healthcheck made to fail, soon: a new config that never comes up."""
    engine_stack.edit("compose/db.yml", '"pg_isready", "-U", "postgres", "-h", "127.0.0.1"]', '"false"]')
    engine_stack.edit("compose/db.yml", "retries: 30", "retries: 2")
    engine_stack.edit("compose/db.yml", "start_period: 20s", "start_period: 1s")


def seeded_on_15(engine_stack, docker_client):
    assert engine_stack.launcher("up").returncode == 0
    old = project_containers(docker_client, engine_stack.project)["postgres"]
    seed(old)
    sql(old, "shop", "SELECT nextval('sales.customers_id_seq')")
    return old, figures(old)


def test_upgrade_moves_15_to_17_in_a_new_volume_and_finish_removes_the_old(engine_stack, docker_client):
    old, before = seeded_on_15(engine_stack, docker_client)
    engine_stack.edit("compose/db.yml", "launcher-test/postgres:15", "launcher-test/postgres17:17")

    result = engine_stack.launcher("upgrade", "--yes")

    assert result.returncode == 0, result.stdout + result.stderr
    old_volume = f"{engine_stack.project}_pgdata"
    assert f"old volume {old_volume} kept" in result.stdout
    new = project_containers(docker_client, engine_stack.project)["postgres"]
    assert sql(new, "shop", "SHOW server_version").startswith("17.")
    assert figures(new) == before
    assert docker_client.volumes.get(old_volume)  # kept until --finish
    # Compose by hand, as docs/upgrades.md says, uses the new volume through the launcher's override.
    by_hand = subprocess.run(["docker", "compose", "-p", engine_stack.project, "--env-file", ".env", "-f", "compose/db.yml",
                              "-f", ".launcher/upgrade.yml", "config", "--format", "json"], cwd=engine_stack.root,
                             capture_output=True, text=True, check=True)
    assert json.loads(by_hand.stdout)["volumes"]["pgdata"]["name"] == f"{old_volume}-pg17"
    assert "nothing to upgrade" in engine_stack.launcher("upgrade", "--plan").stdout
    # The next `up` leaves the upgraded server alone (the switch is part of the config now).
    assert engine_stack.launcher("up").returncode == 0
    assert project_containers(docker_client, engine_stack.project)["postgres"].id == new.id

    finished = engine_stack.launcher("upgrade", "--finish", "--yes")
    assert finished.returncode == 0, finished.stderr
    assert old_volume not in {volume.name for volume in docker_client.volumes.list()}
    assert figures(new) == before
    again = engine_stack.launcher("upgrade", "--finish", "--yes")
    assert again.returncode == 0 and "nothing to finish" in again.stdout, again.stdout + again.stderr

    # A second major move, from the volume the first one made (it has no compose labels): back to 15.
    # A 15 server cannot read all of a 17 dump (PostgreSQL 16 changed how role memberships are
    # granted), so the verification refuses it, naming what differs, and nothing changes.
    engine_stack.edit("compose/db.yml", "launcher-test/postgres17:17", "launcher-test/postgres:15")
    back = engine_stack.launcher("upgrade", "--yes")
    assert back.returncode == 8, back.stdout + back.stderr
    assert "cluster: the roles differ after the restore" in back.stderr and "shop_reader" in back.stderr
    assert "the restore said: ERROR:" in back.stderr and "already exists" not in back.stderr  # not a benign one
    still = project_containers(docker_client, engine_stack.project)["postgres"]
    assert still.id == new.id and figures(still) == before
    assert not docker_client.volumes.list(filters={"name": f"{old_volume}-pg17-pg15"})
    assert not (engine_stack.root / ".launcher" / "upgrade-journal.json").exists()


def test_a_rollback_brings_back_the_image_that_ran_even_when_its_tag_moved(engine_stack, docker_client):
    # One tag for both versions, as `postgres:latest` or a re-pulled `postgres:15` can be.
    moving = f"launcher-test/moving-{engine_stack.project}"
    docker_client.images.get("launcher-test/postgres:15").tag(moving, "pg")
    try:
        engine_stack.edit("compose/db.yml", "launcher-test/postgres:15", f"{moving}:pg")
        old, before = seeded_on_15(engine_stack, docker_client)
        docker_client.images.get("launcher-test/postgres17:17").tag(moving, "pg")  # the tag moves to 17
        never_healthy(engine_stack)

        result = engine_stack.launcher("upgrade", "--yes")

        assert result.returncode == 9, result.stdout + result.stderr
        back = project_containers(docker_client, engine_stack.project)["postgres"]
        assert back.attrs["Image"] == old.attrs["Image"]  # the 15 image by id, not what the tag names now
        assert sql(back, "shop", "SHOW server_version").startswith("15.")
        assert figures(back) == before
        # It runs under the pin, which stays while it does: `docker image prune` cannot take it.
        assert back.attrs["Config"]["Image"] == f"launcher-previous/{engine_stack.project}-postgres:upgrade"
    finally:
        docker_client.images.remove(f"{moving}:pg", noprune=True)
        docker_client.images.remove(f"launcher-previous/{engine_stack.project}-postgres:upgrade", noprune=True)


def test_a_new_config_that_never_becomes_healthy_rolls_back_to_15_with_the_data(engine_stack, docker_client):
    old, before = seeded_on_15(engine_stack, docker_client)
    engine_stack.edit("compose/db.yml", "launcher-test/postgres:15", "launcher-test/postgres17:17")
    never_healthy(engine_stack)

    result = engine_stack.launcher("upgrade", "--yes")

    assert result.returncode == 9, result.stdout + result.stderr
    assert "upgrade rolled back" in result.stderr
    # One line names the snapshot taken first and the old volume the stack is back on.
    [line] = [line for line in result.stdout.splitlines() if line.startswith("rolled back postgres")]
    assert f"old volume(s) kept: {engine_stack.project}_pgdata" in line and "snapshot: " in line, line
    back = project_containers(docker_client, engine_stack.project)["postgres"]
    back.reload()
    assert back.attrs["State"]["Health"]["Status"] == "healthy"
    assert sql(back, "shop", "SHOW server_version").startswith("15.")
    assert figures(back) == before
    assert not docker_client.volumes.list(filters={"name": f"{engine_stack.project}_pgdata-pg17"})
    assert not (engine_stack.root / ".launcher" / "upgrade.yml").exists()


def test_an_extension_the_new_image_lacks_is_refused_before_anything_changes(engine_stack, docker_client):
    assert engine_stack.launcher("up").returncode == 0
    old = project_containers(docker_client, engine_stack.project)["postgres"]
    # An extension only this 15 server has: its files put where this server looks for them.
    made = old.exec_run(["sh", "-c", 'cd "$(pg_config --sharedir)/extension" && '
                                     "printf \"default_version = '1.0'\\nrelocatable = true\\n\" > only15.control && "
                                     "echo 'CREATE FUNCTION only15() RETURNS int LANGUAGE sql AS $$ SELECT 15 $$;' "
                                     "> only15--1.0.sql"], user="root")
    assert made.exit_code == 0, made.output
    sql(old, "postgres", "CREATE EXTENSION only15")
    engine_stack.edit("compose/db.yml", "launcher-test/postgres:15", "launcher-test/postgres17:17")

    for command in (("upgrade", "--plan"), ("upgrade", "--yes")):
        refused = engine_stack.launcher(*command)
        assert refused.returncode == 8, refused.stdout + refused.stderr
        assert "does not ship extension(s) only15 (in postgres)" in refused.stderr
    assert project_containers(docker_client, engine_stack.project)["postgres"].id == old.id
    assert not docker_client.volumes.list(filters={"name": f"{engine_stack.project}_pgdata-pg17"})
    assert not (engine_stack.root / ".launcher" / "snapshots").exists()
