"""The Postgres major move on the real engine: a 15 volume dumped, restored into a new 17 volume, verified."""

from __future__ import annotations

import io
import tarfile
import time
from pathlib import Path

import pytest

from tests.integration.engine_stack import engine_stack, project_containers  # noqa: F401

pytestmark = pytest.mark.integration

# A real dump (tests/fixtures/upgrade/make_dataset.sh): roles, three schemas, COPY data, an extension.
DATASET = Path(__file__).resolve().parent.parent / "fixtures" / "upgrade" / "dataset.sql"


def seed(container) -> None:
    data = DATASET.read_bytes()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("dataset.sql")
        info.size, info.mode = len(data), 0o644
        archive.addfile(info, io.BytesIO(data))
    container.put_archive("/tmp", buffer.getvalue())
    result = container.exec_run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-U", "postgres", "-f", "/tmp/dataset.sql"],
                                user="postgres")
    assert result.exit_code == 0, result.output


def sql(container, database: str, query: str) -> str:
    result = container.exec_run(["psql", "-X", "-At", "-U", "postgres", "-d", database, "-c", query], user="postgres")
    assert result.exit_code == 0, result.output
    return result.output.decode().strip()


def drained(generator):
    """(every event, the return value) of a generator."""
    events = []
    while True:
        try:
            events.append(next(generator))
        except StopIteration as stop:
            return events, stop.value


def load(engine_stack):
    from wizard.core.docker.composeengine import ComposeEngine
    from wizard.core.manifest.stack import load_stack

    stack = load_stack(engine_stack.root / "stack.toml")
    return stack, ComposeEngine(stack)


def test_a_15_volume_is_copied_into_a_new_verified_17_volume_and_the_old_is_untouched(engine_stack, docker_client):
    from wizard.core.upgrade.majors import copy_to_new_volume
    from wizard.core.upgrade.plan import make_plan

    assert engine_stack.launcher("up").returncode == 0
    old = project_containers(docker_client, engine_stack.project)["postgres"]
    seed(old)
    sql(old, "shop", "SELECT nextval('sales.customers_id_seq')")  # 43: the value the copy must keep
    engine_stack.edit("compose/db.yml", "launcher-test/postgres:15", "launcher-test/postgres17:17")
    stack, engine = load(engine_stack)
    [change] = make_plan(stack, engine).majors

    events, (volume, figures) = drained(copy_to_new_volume(docker_client, change, old, "0123456789abcdef"))

    # Progress, as the front ends show it: from 0% to 100%, bytes counted against the database's size.
    assert [event.percent for event in events][0] == 0 and events[-1].percent == 100
    assert {event.action for event in events} == {"copy"} and events[-1].done > 0
    assert events[-1].part == "postgres (PostgreSQL 15 -> 17)"

    assert volume == f"{engine_stack.project}_pgdata-pg17"
    assert figures["shop:tables"] == 3 and figures["shop:sequences"] == 1 and figures["shop:triggers"] == 1
    assert figures["shop:extensions"] == 2  # plpgsql and citext
    assert figures["roles"] >= 3  # postgres and the dump's shop_app and shop_reader
    new = docker_client.containers.run("launcher-test/postgres17:17", detach=True, network_mode="none",
                                       volumes={volume: {"bind": "/var/lib/postgresql/data", "mode": "rw"}})
    try:
        for _ in range(120):
            if new.exec_run(["pg_isready", "-q", "-h", "127.0.0.1"]).exit_code == 0:
                break
            time.sleep(0.5)
        assert sql(new, "shop", "SHOW server_version").startswith("17.")
        assert sql(new, "shop", "SELECT last_value FROM sales.customers_id_seq") == "43"
        assert sql(new, "shop", "SELECT count(*) FROM audit.events") == "4"
        assert sql(new, "shop", "SELECT count(*) FROM catalog.listed") == "167"
        assert sql(new, "shop", "SELECT pg_has_role('shop_app', 'shop_reader', 'member')") == "t"
    finally:
        new.remove(force=True)
    # The old server still runs 15 on its own volume, data included.
    assert sql(old, "shop", "SHOW server_version").startswith("15.")
    assert sql(old, "shop", "SELECT count(*) FROM sales.customers") == "3"


def test_a_copy_that_does_not_verify_leaves_no_new_volume(engine_stack, docker_client, monkeypatch):
    from wizard.core.upgrade import majors
    from wizard.core.upgrade.plan import make_plan

    assert engine_stack.launcher("up").returncode == 0
    old = project_containers(docker_client, engine_stack.project)["postgres"]
    seed(old)
    engine_stack.edit("compose/db.yml", "launcher-test/postgres:15", "launcher-test/postgres17:17")
    [change] = make_plan(*load(engine_stack)).majors
    # A dump that loses one table's rows: the verification must catch it.
    real_dump = majors.dump_stream

    def lossy(container):
        yield b"".join(real_dump(container)).replace(b"1\tcreated\n", b"")

    monkeypatch.setattr(majors, "dump_stream", lossy)
    with pytest.raises(majors.UpgradeFailed, match="database shop: the tables differ"):
        drained(majors.copy_to_new_volume(docker_client, change, old, "0123456789abcdef"))
    monkeypatch.undo()
    assert not docker_client.volumes.list(filters={"name": majors.new_volume_name(change)})
    assert sql(old, "shop", "SELECT count(*) FROM audit.events") == "4"
