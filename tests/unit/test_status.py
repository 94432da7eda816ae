"""The status snapshot from a scripted engine: one list call, groups, readiness, URLs, restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.fake_engine import FakeEngine, container, healthy, spec
from wizard.core.docker.model import PublishedPort
from wizard.core.manifest.stack import load_stack
from wizard.core.lifecycle.status import NOT_CREATED, SKIPPED, ready_text, snapshot, summary
from wizard.frontends.plain import render_status

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "engine_stack" / "stack.toml"


@pytest.fixture
def stack():
    return load_stack(FIXTURE)


def engine_with_containers():
    port = PublishedPort(15432, 5432, "127.0.0.1")
    specs = [spec("postgres", "db", ports=(port,)), spec("redis", "cache"),
             spec("migrate", "app", oneshot=True, healthcheck=False), spec("web", "app")]
    running = [container("postgres", "running", "healthy", ports=[port]), container("migrate", "exited", exit_code=0),
               container("web", "running", "starting"),
               container("adminer", "running")]  # a service of a profile not enabled today
    engine = FakeEngine(specs, running=running)
    engine._model.groups["adminer"] = "app"  # noqa: SLF001 - the fake's model is ours to shape
    return engine


def test_snapshot_lists_every_service_in_group_order_with_one_list_call(stack):
    engine = engine_with_containers()
    rows = snapshot(stack, engine)
    assert engine.list_calls == 1
    assert [(r.group, r.service) for r in rows] == [("db", "postgres"), ("cache", "redis"), ("app", "migrate"),
                                                   ("app", "web"), ("app", "adminer")]
    by_name = {r.service: r for r in rows}
    assert by_name["postgres"].ready and by_name["postgres"].urls == ("postgresql://127.0.0.1:15432",)
    assert by_name["postgres"].uptime == 5.0 and by_name["postgres"].uptime_text == "5 seconds"
    assert by_name["redis"].state == NOT_CREATED and not by_name["redis"].ready
    assert by_name["migrate"].ready and by_name["migrate"].oneshot and by_name["migrate"].exit_code == 0
    assert not by_name["web"].ready and by_name["web"].health == "starting"
    assert by_name["adminer"].ready  # running, and nothing says it has a healthcheck
    assert all(r.restarts is None for r in rows)
    assert summary(rows) == {"services": 5, "ready": 3, "not_ready": 2, "skipped": 0}


def test_services_of_a_skipped_group_are_skipped_not_missing(tmp_path):
    import shutil

    shutil.copytree(FIXTURE.parent, tmp_path / "stack")
    manifest = tmp_path / "stack" / "stack.toml"
    manifest.write_text(manifest.read_text().replace(
        '[groups.app]\n', '[groups.app]\nrequires_paths = ["app-src"]\n'))
    rows = snapshot(load_stack(manifest), engine_with_containers())
    states = {row.service: row.state for row in rows}
    assert states["redis"] == NOT_CREATED  # its group runs: missing means not started yet
    assert states["web"] == "running"  # a container that exists is shown as it is
    engine = FakeEngine([spec("postgres", "db"), spec("worker", "app")],
                        running=[container("postgres", "running", "healthy")])
    rows = snapshot(load_stack(manifest), engine)
    assert {row.service: row.state for row in rows} == {"postgres": "running", "worker": SKIPPED}
    assert summary(rows)["not_ready"] == 0
    assert ready_text(rows) == "1/1 ready, 1 skipped"
    assert render_status(rows, stack="enginestack").splitlines()[-1] == "stack enginestack: 1/1 ready, 1 skipped"


def test_restart_counts_only_when_asked(stack):
    engine = engine_with_containers()
    rows = snapshot(stack, engine, restarts=True)
    assert {r.service: r.restarts for r in rows}["postgres"] == 2
    assert {r.service: r.restarts for r in rows}["redis"] is None  # no container, nothing to count


def test_json_form_and_table(stack):
    rows = snapshot(stack, engine_with_containers())
    data = rows[0].to_dict()
    assert data["urls"] == ["postgresql://127.0.0.1:15432"] and data["health"] == "healthy"
    table = render_status(rows, stack="demo").splitlines()
    assert table[0].split() == ["GROUP", "SERVICE", "STATE", "HEALTH", "UPTIME", "URLS"]
    assert "exited (0) done" in table[3]
    assert table[-1] == "stack demo: 3/5 ready"


def test_table_shows_restarts_column_when_counted(stack):
    rows = snapshot(stack, FakeEngine([spec("postgres", "db")], running=[healthy("postgres")]), restarts=True)
    table = render_status(rows).splitlines()
    assert "RESTARTS" in table[0] and table[1].split()[6] == "2"  # "5 seconds" is two words
