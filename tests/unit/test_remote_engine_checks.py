"""An engine on another machine (`ssh://`, `tcp://` to a host that is not this one): the checks
ask that engine, not this machine's sockets and disk, and name what compose reads from here.
The same decisions run against a real engine over ssh in tests/integration/test_remote_engine.py."""

from __future__ import annotations

import pytest

from tests.unit.fake_engine import container, spec
from tests.unit.test_doctor import DoctorEngine, stack  # noqa: F401 - the stack fixture
from wizard.core.docker.endpoint import Endpoint
from wizard.core.docker.model import PublishedPort
from wizard.core.lifecycle.checks import WantedPort, check_ports, disk_check, local_paths_check
from wizard.core.lifecycle.doctor import rootless_check, run_doctor


@pytest.mark.parametrize(("host", "remote"), [
    ("unix:///var/run/docker.sock", ""), ("tcp://127.0.0.1:2375", ""), ("ssh://me@localhost", ""),
    ("tcp://[::1]:2375", ""), ("ssh://deploy@build-box:2222", "build-box"), ("tcp://10.0.0.5:2376", "10.0.0.5"),
])
def test_an_engine_is_remote_when_its_address_is_not_this_machine(host, remote):
    assert Endpoint(host, "DOCKER_HOST").remote_host == remote


def test_a_port_busy_here_is_free_on_a_remote_engine_and_says_what_was_not_checked(listener):
    checks = check_ports([WantedPort(listener, "postgres", "PG_PORT")], project=[], everyone=[],
                         remote_host="build-box")
    assert [check.status for check in checks] == ["ok"]
    assert checks[0].detail == ("postgres: no other container publishes it on build-box "
                                "(other programs there cannot be checked from here)")


def test_a_port_another_container_publishes_on_the_remote_engine_is_busy_with_a_port_free_there():
    other = container("db", "running", ports=[PublishedPort(5432, 5432)], project="otherstack")
    also = container("cache", "running", ports=[PublishedPort(5433, 6379)], project="otherstack")
    checks = check_ports([WantedPort(5432, "postgres", "PG_PORT")], project=[], everyone=[other, also],
                         remote_host="build-box")
    assert checks[0].status == "fail"
    assert checks[0].detail == "postgres: build-box:5432 is held by container otherstack-db-1"
    # 5433 is published there too: the next one, whatever this machine holds.
    assert checks[0].hint == "stop otherstack-db-1, or use port 5434 instead: launcher init --set PG_PORT=5434"


def test_the_disk_of_a_remote_engine_is_not_measured_here():
    check = disk_check("/", "build-box")
    assert check.status == "ok" and check.detail == "free space unknown (/ is on build-box)"


def test_bind_mounts_are_named_as_this_machines_folders_and_build_contexts_as_sent(tmp_path):
    config = {"services": {
        "web": {"build": {"context": str(tmp_path / "web")},
                "volumes": [{"type": "bind", "source": str(tmp_path / "conf"), "target": "/etc/web"},
                            {"type": "volume", "source": "data", "target": "/data"}]},
        "api": {"build": {"context": "https://github.com/example/api.git"}},
    }}
    check = local_paths_check(config, "build-box", tmp_path)
    assert check.status == "warn"
    assert check.detail == "the engine runs on build-box, which mounts these from its own disk: web (./conf)"
    del config["services"]["web"]["volumes"][0]
    check = local_paths_check(config, "build-box", tmp_path)
    assert (check.status, check.detail) == ("ok", "built from folders here, sent to build-box at each build: web (./web)")
    assert local_paths_check({"services": {"db": {"image": "postgres"}}}, "build-box", tmp_path) is None


def test_a_rootless_engine_refuses_ports_below_1024_and_says_who_owns_written_files():
    check = rootless_check([WantedPort(80, "web", "WEB_PORT"), WantedPort(5432, "postgres")])
    assert check.status == "fail" and check.detail.endswith("below 1024: 80 (web)")
    assert "ip_unprivileged_port_start" in check.hint
    check = rootless_check([WantedPort(5432, "postgres")])
    assert check.status == "ok" and "subordinate user id" in check.detail


class RemoteDoctorEngine(DoctorEngine):
    remote_host = "build-box"

    def resolved_config(self):
        return {"services": {"postgres": {"volumes": [{"type": "bind", "source": "/srv/init", "target": "/init"}]}}}

    def record_up(self, started=(), current=()):
        raise AssertionError("doctor records nothing")


def test_doctor_on_a_remote_engine_checks_its_containers_names_local_folders_and_skips_the_disk(
        stack, listener):  # noqa: F811 - the fixture
    loaded, initialize = stack
    initialize(loaded, {})
    engine = RemoteDoctorEngine([spec("postgres", "db", ports=(PublishedPort(listener, 5432, "127.0.0.1"),))])
    checks = {check.name: check for check in run_doctor(loaded, engine)}
    assert checks[f"port {listener}"].status == "ok"  # busy here, but the engine is not here
    assert checks["disk"].detail == "free space unknown (/ is on build-box)"
    assert checks["local paths"].status == "warn" and "/srv/init" in checks["local paths"].detail



def test_an_ssh_address_keeps_a_written_port_and_takes_ssh_s_own_otherwise():
    from wizard.core.docker.endpoint import ssh_address

    assert ssh_address("ssh://me@box:2222") == "ssh://me@box:2222"
    # No port written: ssh's own configuration decides (here: its default, no Host entry for this name).
    assert ssh_address("ssh://me@launcher-no-such-host.invalid") == "ssh://me@launcher-no-such-host.invalid:22"


def test_the_wizard_checks_ports_on_the_engines_machine(stack, listener, monkeypatch):  # noqa: F811 - the fixture
    from wizard.core.lifecycle.initsession import InitSession

    loaded, _ = stack
    session = InitSession.start(loaded, answers={"PG_PORT": str(listener)})
    monkeypatch.setenv("DOCKER_HOST", "unix:///var/run/docker.sock")
    assert session.ports_host() == "127.0.0.1"
    assert {s.setting: s.status for s in session.check_ports(lambda: ([], []))}["PG_PORT"] == "busy"
    monkeypatch.setenv("DOCKER_HOST", "ssh://me@build-box")
    assert session.ports_host() == "build-box"
    other = container("db", "running", ports=[PublishedPort(5432, 5432)], project="other")
    statuses = {s.setting: s for s in session.check_ports(lambda: ([], [other]))}
    assert statuses["PG_PORT"].status == "ok"  # held here, not there
