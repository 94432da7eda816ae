"""Podman 4.3's answers, recorded from Debian's podman 4.3.1 API service (tests/fixtures/podman43), replayed
on a unix socket with its headers: health from inspect, Podman named as Podman.

Recorded with `podman system service` and the compat API (`/v1.41/containers/json?all=1`,
`/containers/ID/json`, `/version`, `/info`): `enctx-hc` has a healthcheck that passed,
`enctx-plain` none, `enctx-starting` one that failed three times, `enctx-job` exited 3.
The list says "Up 7 seconds" for all three running ones; only inspect carries health.
Inspect answers are trimmed to Id, Name, State and Config.Healthcheck / Labels.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.unit.fake_engine import spec
from tests.unit.test_engine_dockerapi import UnixHTTPServer
from wizard.core.docker.composeengine import ComposeEngine
from wizard.core.docker.containers import container_from_summary
from wizard.core.docker.engineinfo import NEVER_PROBED, healthchecks_cannot_run
from wizard.core.lifecycle.doctor import engine_line
from wizard.core.lifecycle.readiness import READY, readiness

RECORDED = Path(__file__).resolve().parent.parent / "fixtures" / "podman43"
LIST = json.loads((RECORDED / "containers-list.json").read_text())
INSPECT = json.loads((RECORDED / "inspect-trimmed.json").read_text())
BY_ID = {details["Id"]: details for name, details in INSPECT.items() if name != "enctx-starting-first"}
PODMAN_HEADERS = {"Api-Version": "1.41", "Libpod-Api-Version": "4.3.1", "Server": "Libpod/4.3.1 (linux)"}
# Docker 20.10's list of the same containers: health in the status text, and no Libpod header.
DOCKER_LIST = [{**entry, "Status": {"enctx-hc": "Up 7 seconds (healthy)",
                                    "enctx-starting": "Up 1 second (unhealthy)"}.get(entry["Names"][0][1:],
                                                                                      entry["Status"])}
               for entry in LIST]


class Recorded(BaseHTTPRequestHandler):
    podman = True
    inspected: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's naming
        path = self.path.split("?")[0]
        if path == "/containers/json":
            body = LIST if Recorded.podman else DOCKER_LIST
        elif path.startswith("/containers/") and path.endswith("/json"):
            cid = path.split("/")[2]
            Recorded.inspected.append(BY_ID[cid]["Name"])
            body = BY_ID[cid]
        elif path in ("/version", "/info"):
            body = json.loads((RECORDED / ("version.json" if path == "/version" else "info-trimmed.json")).read_text())
        else:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        for name, value in (PODMAN_HEADERS if Recorded.podman else {"Api-Version": "1.41"}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def engine(tmp_path, monkeypatch):
    path = tmp_path / "podman.sock"
    server = UnixHTTPServer(str(path), Recorded)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Recorded.podman, Recorded.inspected = True, []
    monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")
    yield ComposeEngine(SimpleNamespace(project="enctx"))
    server.shutdown()
    server.server_close()


def health(containers) -> dict[str, str]:
    return {container.name: container.health for container in containers if container.state == "running"}


def test_the_list_alone_says_nothing_of_health_on_podman():
    assert health(container_from_summary(entry) for entry in LIST) == {
        "enctx-hc": "", "enctx-plain": "", "enctx-starting": ""}


def test_health_comes_from_inspect_on_podman_and_a_container_without_one_is_asked_once(engine):
    assert health(engine.containers()) == {"enctx-hc": "healthy", "enctx-plain": "", "enctx-starting": "unhealthy"}
    assert sorted(Recorded.inspected) == ["/enctx-hc", "/enctx-plain", "/enctx-starting"]
    Recorded.inspected.clear()
    assert health(engine.containers())["enctx-hc"] == "healthy"
    assert sorted(Recorded.inspected) == ["/enctx-hc", "/enctx-starting"]  # no healthcheck: not asked again
    cache = next(c for c in engine.containers() if c.name == "enctx-hc")
    assert readiness(spec("cache", "g"), cache, compose_done=True) == (READY, "healthy")


def test_docker_is_not_inspected(engine):
    Recorded.podman = False
    assert health(engine.containers()) == {"enctx-hc": "healthy", "enctx-plain": "", "enctx-starting": "unhealthy"}
    assert Recorded.inspected == []


def test_a_starting_healthcheck_reads_as_starting():
    from wizard.core.docker.containers import health_of

    assert health_of(INSPECT["enctx-starting-first"]) == "starting"
    assert health_of(INSPECT["enctx-plain"]) == ""


def test_doctor_calls_podman_podman(engine):
    facts = engine.versions()
    assert (facts["kind"], facts["engine"], facts["api"], facts["rootless"]) == ("Podman", "4.3.1", "1.41", False)
    assert engine_line(facts).startswith("Podman 4.3.1 (API 1.41), debian, at unix://")
    assert facts["via"] == "DOCKER_HOST"


def test_rootless_is_read_from_the_security_options():
    from wizard.core.docker.endpoint import Endpoint
    from wizard.core.docker.engineinfo import engine_facts

    options = {"SecurityOptions": ["name=seccomp,profile=default", "name=rootless", "name=cgroupns"]}
    facts = engine_facts({"Version": "28.2.2", "ApiVersion": "1.50"}, options, Endpoint("unix:///x", "DOCKER_HOST"))
    assert (facts["kind"], facts["rootless"]) == ("Docker", True)
    assert "rootless" in engine_line(facts)


class RecordedPodmanSDK:
    """The SDK's calls failure_details makes, answered with the recorded shapes (a container whose
    healthcheck Podman never ran: no systemd timers)."""

    def __init__(self):
        self.api = SimpleNamespace(inspect_container=lambda cid: INSPECT["enctx-starting-first"],
                                   logs=lambda cid, **options: b"Ready to accept connections\n")

    def version(self):
        return json.loads((RECORDED / "version.json").read_text())


def test_a_podman_healthcheck_that_never_ran_says_why():
    engine = ComposeEngine(SimpleNamespace(project="enctx"), client=RecordedPodmanSDK())
    probes, tail = engine.failure_details("any")
    assert probes == (NEVER_PROBED,) and tail == ("Ready to accept connections",)


def test_doctor_warns_when_podman_here_cannot_run_healthchecks(engine, tmp_path, monkeypatch):
    from wizard.core.docker import engineinfo

    facts = engine.versions()
    monkeypatch.setattr(engineinfo, "SYSTEMD_RUNNING", tmp_path / "no-systemd")
    assert healthchecks_cannot_run(facts)
    assert not healthchecks_cannot_run({**facts, "kind": "Docker"})
    assert not healthchecks_cannot_run({**facts, "endpoint": "ssh://me@box"})  # Podman runs elsewhere
    (tmp_path / "no-systemd").mkdir()
    assert not healthchecks_cannot_run(facts)
