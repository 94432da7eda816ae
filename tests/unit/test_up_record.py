"""The record of what the last `up` ran: only the services an `up` started take today's config."""

from __future__ import annotations

import stat

from wizard.core.docker.uprecord import RECORD, read_record, record_up


def config(**services) -> dict:
    return {"name": "demo", "services": {name: {"image": image} for name, image in services.items()}}


def test_an_up_that_leaves_a_running_service_alone_keeps_its_recorded_config(tmp_path):
    record_up(tmp_path, "k1", lambda: config(db="pg:15", web="web:1"), started=["db", "web"])
    assert oct(stat.S_IMODE((tmp_path / RECORD).stat().st_mode)) == "0o600"

    # The files moved; `up` started only web (db was healthy and left as it ran).
    record_up(tmp_path, "k2", lambda: config(db="pg:17", web="web:2", cache="redis:7"), started=["web"])

    services = read_record(tmp_path)["config"]["services"]
    assert services == {"db": {"image": "pg:15"}, "web": {"image": "web:2"}, "cache": {"image": "redis:7"}}
    assert read_record(tmp_path)["key"] == "k2"


def test_a_no_op_up_on_unmoved_files_asks_compose_nothing(tmp_path):
    record_up(tmp_path, "k1", lambda: config(db="pg:15"), started=["db"])

    def must_not_run() -> dict:
        raise AssertionError("compose config asked on a no-op up")

    record_up(tmp_path, "k1", must_not_run, started=[])
    assert read_record(tmp_path)["config"]["services"]["db"] == {"image": "pg:15"}


def test_a_record_of_the_wrong_shape_is_set_aside_with_a_warning_and_rebuilt(tmp_path):
    from wizard.core.docker.uprecord import RECORD, SET_ASIDE, read_record, record_up, set_aside_bad_record

    (tmp_path / ".launcher").mkdir()
    (tmp_path / RECORD).write_text('{"config": {"services": "x"}}')
    warning = set_aside_bad_record(tmp_path)
    assert warning is not None and warning.status == "warn" and "set aside" in warning.detail
    assert (tmp_path / SET_ASIDE).read_text() == '{"config": {"services": "x"}}'
    assert read_record(tmp_path) is None
    (tmp_path / RECORD).write_text('{"config": {"services": "x"}}')  # found by `up` itself: no crash, rebuilt
    record_up(tmp_path, "k", lambda: {"services": {"db": {"image": "postgres:15"}}}, ["db"])
    assert read_record(tmp_path)["config"]["services"] == {"db": {"image": "postgres:15"}}
