"""An upgrade cut short on the real engine: SIGKILL during the restore, then a re-run; Ctrl-C; a config-only change."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from tests.conftest import default_sigint, launcher_command
from tests.integration.engine_stack import engine_stack, project_containers  # noqa: F401
from tests.integration.test_upgrade import figures, never_healthy, seeded_on_15
from tests.integration.test_upgrade_volume import sql

pytestmark = pytest.mark.integration

TEMPORARY_LABEL = "launcher.upgrade.temporary"


def bulk(container) -> None:
    """Enough rows that the restore takes a moment to catch it in."""
    sql(container, "shop", "CREATE TABLE sales.orders AS SELECT n AS id, md5(n::text) AS note "
                           "FROM generate_series(1, 300000) AS n")


def upgrade_stopped_in_restore(engine_stack, docker_client, how: int) -> subprocess.Popen:
    """Start `launcher upgrade --yes`; send ``how`` once its temporary 17 server accepts connections."""
    process = subprocess.Popen([*launcher_command(), "upgrade", "--yes"], cwd=engine_stack.root,
                               env={**os.environ, **engine_stack.env, "NO_COLOR": "1"}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, preexec_fn=default_sigint)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = docker_client.containers.list(filters={"label": f"{TEMPORARY_LABEL}={engine_stack.project}"})
        if found and found[0].exec_run(["pg_isready", "-q", "-h", "127.0.0.1"]).exit_code == 0:
            break
        assert process.poll() is None, process.communicate()
        time.sleep(0.1)
    else:
        raise AssertionError("the temporary server never became ready")
    process.send_signal(how)
    process.wait(timeout=180)
    return process


def test_a_sigkilled_upgrade_is_refused_by_up_and_finished_by_a_rerun(engine_stack, docker_client):
    old, _ = seeded_on_15(engine_stack, docker_client)
    bulk(old)
    before = {**figures(old), "orders": sql(old, "shop", "SELECT count(*) FROM sales.orders")}
    engine_stack.edit("compose/db.yml", "launcher-test/postgres:15", "launcher-test/postgres17:17")

    killed = upgrade_stopped_in_restore(engine_stack, docker_client, signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL
    assert (engine_stack.root / ".launcher" / "upgrade-journal.json").is_file()
    assert docker_client.containers.list(all=True, filters={"label": f"{TEMPORARY_LABEL}={engine_stack.project}"})

    refused = engine_stack.launcher("up")
    assert refused.returncode == 8, refused.stdout + refused.stderr
    assert "launcher upgrade" in refused.stderr
    plan = engine_stack.launcher("upgrade", "--plan")
    assert plan.returncode == 0 and "interrupted" in plan.stdout, plan.stdout + plan.stderr

    rerun = engine_stack.launcher("upgrade", "--yes")

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "rolling it back first" in rerun.stdout
    assert "[100%] copying postgres (PostgreSQL 15 -> 17)" in rerun.stdout  # plain mode's percentage lines
    new = project_containers(docker_client, engine_stack.project)["postgres"]
    assert sql(new, "shop", "SHOW server_version").startswith("17.")
    assert {**figures(new), "orders": sql(new, "shop", "SELECT count(*) FROM sales.orders")} == before
    assert not docker_client.containers.list(all=True, filters={"label": f"{TEMPORARY_LABEL}={engine_stack.project}"})
    assert not (engine_stack.root / ".launcher" / "upgrade-journal.json").exists()
    assert docker_client.volumes.get(f"{engine_stack.project}_pgdata")  # the old one, kept until --finish
    assert engine_stack.launcher("up").returncode == 0
    assert project_containers(docker_client, engine_stack.project)["postgres"].id == new.id

    # The next upgrade, once it succeeds, removes the volume the one before kept.
    engine_stack.edit("compose/db.yml", "POSTGRES_PASSWORD:", "LAUNCHER_UPGRADE_MARK: later\n      POSTGRES_PASSWORD:")
    later = engine_stack.launcher("upgrade", "--yes")
    assert later.returncode == 0, later.stdout + later.stderr
    assert f"removed old volume {engine_stack.project}_pgdata, kept by the upgrade before" in later.stdout
    assert not docker_client.volumes.list(filters={"name": f"^{engine_stack.project}_pgdata$"})
    latest = project_containers(docker_client, engine_stack.project)["postgres"]
    assert {**figures(latest), "orders": sql(latest, "shop", "SELECT count(*) FROM sales.orders")} == before


def test_ctrl_c_during_the_restore_rolls_back_at_once(engine_stack, docker_client):
    old, before = seeded_on_15(engine_stack, docker_client)
    bulk(old)
    engine_stack.edit("compose/db.yml", "launcher-test/postgres:15", "launcher-test/postgres17:17")

    stopped = upgrade_stopped_in_restore(engine_stack, docker_client, signal.SIGINT)

    assert stopped.returncode != 0
    assert not docker_client.containers.list(all=True, filters={"label": f"{TEMPORARY_LABEL}={engine_stack.project}"})
    assert not docker_client.volumes.list(filters={"name": f"{engine_stack.project}_pgdata-pg17"})
    assert not (engine_stack.root / ".launcher" / "upgrade-journal.json").exists()
    running = project_containers(docker_client, engine_stack.project)["postgres"]
    assert running.id == old.id and sql(running, "shop", "SHOW server_version").startswith("15.")
    assert figures(running) == before
    # The files still name 17 while the data is 15: `up` leaves the 15 server be and says what to run.
    refused = engine_stack.launcher("up")
    assert refused.returncode == 8 and "launcher upgrade" in refused.stdout + refused.stderr
    assert project_containers(docker_client, engine_stack.project)["postgres"].id == old.id


def test_a_config_only_change_is_planned_upgraded_and_rolled_back_from_the_record(engine_stack, docker_client):
    assert engine_stack.launcher("up").returncode == 0
    record = engine_stack.root / ".launcher" / "last-up.json"
    assert oct(record.stat().st_mode & 0o777) == "0o600"
    engine_stack.edit("compose/db.yml", "POSTGRES_PASSWORD:", "LAUNCHER_UPGRADE_MARK: one\n      POSTGRES_PASSWORD:")

    planned = engine_stack.launcher("upgrade", "--plan")
    assert planned.returncode == 0
    assert "postgres: config changes (environment)" in planned.stdout, planned.stdout
    assert "one" not in planned.stdout  # keys, never values

    assert engine_stack.launcher("upgrade", "--yes").returncode == 0
    moved = project_containers(docker_client, engine_stack.project)["postgres"]
    assert "LAUNCHER_UPGRADE_MARK=one" in moved.attrs["Config"]["Env"]
    assert "nothing to upgrade" in engine_stack.launcher("upgrade", "--plan").stdout

    # A change that never becomes healthy comes back as the record says: the mark stays "one".
    engine_stack.edit("compose/db.yml", "LAUNCHER_UPGRADE_MARK: one", "LAUNCHER_UPGRADE_MARK: two")
    never_healthy(engine_stack)
    failed = engine_stack.launcher("upgrade", "--yes")
    assert failed.returncode == 9, failed.stdout + failed.stderr
    back = project_containers(docker_client, engine_stack.project)["postgres"]
    back.reload()
    assert back.attrs["State"]["Health"]["Status"] == "healthy"
    assert "LAUNCHER_UPGRADE_MARK=one" in back.attrs["Config"]["Env"]


def test_a_stack_that_is_down_is_upgraded_from_its_old_server_started_as_recorded(engine_stack, docker_client):
    old, before = seeded_on_15(engine_stack, docker_client)
    assert engine_stack.launcher("down").returncode == 0  # containers gone, volumes kept
    engine_stack.edit("compose/db.yml", "launcher-test/postgres:15", "launcher-test/postgres17:17")

    planned = engine_stack.launcher("upgrade", "--plan")
    assert planned.returncode == 0 and "postgres not running" in planned.stdout, planned.stdout + planned.stderr
    assert "postgres" not in project_containers(docker_client, engine_stack.project)  # the plan started nothing

    result = engine_stack.launcher("upgrade", "--yes")

    assert result.returncode == 0, result.stdout + result.stderr
    new = project_containers(docker_client, engine_stack.project)["postgres"]
    assert sql(new, "shop", "SHOW server_version").startswith("17.")
    assert figures(new) == before
