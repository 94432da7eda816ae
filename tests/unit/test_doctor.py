"""Doctor's port checks with real sockets, and the whole doctor against a scripted engine."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.unit.fake_engine import FakeEngine, container, spec
from wizard.core.lifecycle.checks import WantedPort, check_ports, free_port_near, port_free, port_holder, wanted_ports
from wizard.core.lifecycle.doctor import run_doctor
from wizard.core.docker.model import PublishedPort
from wizard.core.support.errors import DockerUnavailable
from wizard.core.support.events import PreflightCheck as Check
from wizard.core.manifest.stack import load_stack
from wizard.frontends.plain import render_checks

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "engine_stack"


def test_busy_port_names_this_process_and_suggests_a_free_setting_value(listener):
    checks = check_ports([WantedPort(listener, "postgres", "PG_PORT")], project=[])
    assert [c.status for c in checks] == ["fail"]
    assert f"127.0.0.1:{listener} is held by process" in checks[0].detail
    assert f"(pid {os.getpid()})" in checks[0].detail
    suggested = int(checks[0].hint.rsplit("=", 1)[1])
    assert suggested != listener and port_free(suggested)
    assert "launcher init --set PG_PORT=" in checks[0].hint


def test_busy_port_held_by_a_container_is_named(listener):
    other = container("db", "running", ports=[PublishedPort(listener, 5432)], project="otherstack")
    assert port_holder(listener, [other]) == "container otherstack-db-1"
    checks = check_ports([WantedPort(listener, "postgres")], project=[], everyone=[other])
    assert "held by container otherstack-db-1" in checks[0].detail
    assert checks[0].hint.startswith("stop otherstack-db-1, or publish it on port ")


def test_port_of_our_own_running_container_is_fine(listener):
    ours = container("postgres", "running", ports=[PublishedPort(listener, 5432)])
    checks = check_ports([WantedPort(listener, "postgres")], project=[ours])
    assert checks[0].status == "ok" and "in use by this stack" in checks[0].detail


def test_free_port_near_skips_busy_and_avoided_ports(listener):
    assert not port_free(listener)
    found = free_port_near(listener - 1, avoid=[listener + 1])
    assert found not in (listener, listener + 1) and found > listener - 1


@pytest.fixture
def stack(tmp_path):
    from wizard.core.values.resolution import initialize

    root = tmp_path / "stack"
    shutil.copytree(FIXTURE, root)
    loaded = load_stack(root / "stack.toml")
    return loaded, initialize


def test_wanted_ports_from_settings_before_init(stack):
    loaded, _ = stack
    ports = wanted_ports(loaded, FakeEngine([]), None)
    assert [(p.port, p.setting) for p in ports] == [(15432, "PG_PORT"), (16379, "REDIS_PORT"), (18080, "WEB_PORT")]


def test_wanted_ports_from_the_compose_model_after_init(stack):
    loaded, initialize = stack
    initialize(loaded, {})
    engine = FakeEngine([spec("postgres", "db", ports=(PublishedPort(15432, 5432, "127.0.0.1"),)),
                         spec("web", "app", ports=(PublishedPort(18080, 80, "10.0.0.5"),))])  # not on loopback
    ports = wanted_ports(loaded, engine, {"PG_PORT": "15432"})
    assert ports == [WantedPort(15432, "postgres", "PG_PORT")]


class DoctorEngine(FakeEngine):
    def __init__(self, *args, fail_engine=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fail_engine = fail_engine

    def versions(self):
        if self.fail_engine:
            raise DockerUnavailable("Docker engine not reachable at unix:///x.sock (connection refused)", "start it")
        return {"engine": "20.10.24", "api": "1.41", "memory": 1 * 1024 ** 3, "cpus": 2, "root_dir": "/",
                "os": "Debian"}


def test_doctor_reports_every_check(stack, listener):
    loaded, initialize = stack
    initialize(loaded, {})
    engine = DoctorEngine([spec("postgres", "db", ports=(PublishedPort(listener, 5432, "127.0.0.1"),))])
    checks = run_doctor(loaded, engine)
    names = [c.name for c in checks]
    assert names[:6] == ["engine", "compose", "memory", "disk", "env files", "by hand"]
    assert {c.name: c.status for c in checks}["memory"] == "warn"  # 1 GiB
    assert {c.name: c.status for c in checks}[f"port {listener}"] == "fail"
    text = render_checks(checks)
    assert f"FAIL port {listener}: postgres: 127.0.0.1:{listener} is held by" in text


def test_doctor_stops_at_an_unreachable_engine(stack):
    loaded, _ = stack
    checks = run_doctor(loaded, DoctorEngine([], fail_engine=True))
    assert checks == [Check("engine", "fail", "Docker engine not reachable at unix:///x.sock (connection refused)",
                            "start it")]


class PodmanDoctorEngine(DoctorEngine):
    def versions(self):
        return {**super().versions(), "kind": "Podman", "engine": "4.3.1", "endpoint": "unix:///run/podman.sock",
                "via": "DOCKER_HOST", "rootless": True}


def test_doctor_names_podman_and_warns_when_it_cannot_run_healthchecks(stack, tmp_path, monkeypatch):
    from wizard.core.docker import engineinfo

    loaded, initialize = stack
    initialize(loaded, {})
    monkeypatch.setattr(engineinfo, "SYSTEMD_RUNNING", tmp_path / "no-systemd")
    checks = {c.name: c for c in run_doctor(loaded, PodmanDoctorEngine([]))}
    assert checks["engine"].detail == "Podman 4.3.1 (API 1.41, rootless), Debian, at unix:///run/podman.sock, DOCKER_HOST"
    assert checks["healthchecks"].status == "warn" and "no systemd" in checks["healthchecks"].detail
