"""The everyday path on Podman (Debian's podman 4.3.1, its Docker-compatible API), as on Docker.

The engine test stack (tests/fixtures/engine_stack: Postgres with a seed, Redis, a one-shot
job, a web probe) with `DOCKER_HOST` at the test bed's own Podman service
(tests/testbed/podman_bed.py, started for this module and stopped after it): `init`, a cold
`up`, the no-op `up`, `status` (the health Podman's list leaves out, and the engine named
Podman), `doctor`, `logs`, `restart`, `status --watch` refreshes, `snapshot save` /
`restore` / `reset`, `images` and `down --volumes`. The Docker engine the other tests share
is not touched.
"""

from __future__ import annotations

import json
import uuid

import pytest

from tests.conftest import IMAGES
from tests.integration.engine_stack import initialised_checkout, json_lines
from tests.integration.test_up_engine import watch_for
from tests.testbed.podman_bed import PodmanBed

pytestmark = pytest.mark.integration

LABEL = "com.docker.compose.project"


@pytest.fixture(scope="module")
def podman(images):
    bed = PodmanBed()
    try:
        bed.load_images([IMAGES["postgres"], IMAGES["redis"], IMAGES["busybox"]])
        yield bed
    finally:
        bed.stop()


@pytest.fixture
def podman_stack(tmp_path, podman, run_launcher):
    project = f"lpm{uuid.uuid4().hex[:8]}"
    stack = initialised_checkout(tmp_path, "stack", project, run_launcher, env={"DOCKER_HOST": podman.host})
    yield stack
    for kind in ("container", "volume", "network"):
        names = podman.run(kind, "ls", "-q", "-a" if kind == "container" else "--noheading",
                           "--filter", f"label={LABEL}={project}").stdout.split()
        if names:
            podman.run(kind, "rm", "-f", *names)


def left_on_podman(podman, project: str) -> dict[str, list[str]]:
    return {kind: podman.run(kind, "ls", "-q", *(["-a"] if kind == "container" else []),
                             "--filter", f"label={LABEL}={project}").stdout.split()
            for kind in ("container", "volume")}


def test_the_everyday_path_on_podman(podman_stack, podman):
    stack = podman_stack
    up = stack.launcher("up", "--json", "--pull", "never")
    assert up.returncode == 0, up.stdout + up.stderr
    events = json_lines(up.stdout)
    assert [e["groups"] for e in events if e["event"] == "wave-started"] == [["db"], ["cache"], ["app"]]
    assert any(e["event"] == "step-progress" and "001_items.sql: applied" in e["message"] for e in events)
    # Health came from inspect: Podman's list says only "Up N seconds".
    assert {e["service"]: e["how"] for e in events if e["event"] == "service-ready"} == {
        "postgres": "healthy", "redis": "healthy", "migrate": "completed", "web": "healthy"}
    assert podman.health_runs > 0  # the test bed's loop ran the healthchecks (no systemd here)

    noop = stack.launcher("up", "--json")
    assert noop.returncode == 0, noop.stderr
    # Nothing but the one-shot job, which runs again on every up, as compose's (docs/daily-use.md).
    assert json_lines(noop.stdout)[-1]["details"]["started"] == ["migrate"]

    status = json.loads(stack.launcher("status", "--json").stdout)
    rows = {row["service"]: row for row in status["services"]}
    assert all(row["ready"] for row in rows.values()), rows
    assert {rows[name]["health"] for name in ("postgres", "redis", "web")} == {"healthy"}
    assert status["engine"]["kind"] == "Podman" and status["engine"]["version"].startswith("4.")
    assert status["engine"]["endpoint"] == podman.host and status["engine"]["via"] == "DOCKER_HOST"
    doctor = stack.launcher("doctor")
    assert "ok   engine: Podman 4." in doctor.stdout, doctor.stdout + doctor.stderr

    logs = stack.launcher("logs", "redis", "--tail", "50")
    assert logs.returncode == 0 and "Ready to accept connections" in logs.stdout
    restarted = stack.launcher("restart", "cache")
    assert restarted.returncode == 0 and "redis: healthy after" in restarted.stdout, restarted.stdout

    # The dashboard refreshes from the same snapshot `status --watch` takes: each refresh sees every service ready.
    code, out = watch_for(stack, "--json", seconds=8.0)
    refreshes = json_lines(out)
    assert code == 0 and len(refreshes) >= 2
    assert all(row["ready"] for refresh in refreshes for row in refresh["services"])

    saved = stack.launcher("snapshot", "save", "first")
    assert saved.returncode == 0, saved.stdout + saved.stderr
    redis_cli = ["exec", f"{stack.project}-redis-1", "redis-cli"]
    assert podman.run(*redis_cli, "SET", "greeting", "changed").returncode == 0
    restored = stack.launcher("snapshot", "restore", "first", "--yes")
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert podman.run(*redis_cli, "GET", "greeting").stdout.strip() == ""  # the volume is back as saved
    reset = stack.launcher("reset", "--yes")
    assert reset.returncode == 0, reset.stdout + reset.stderr
    assert "001_items.sql: applied" in reset.stdout

    images = json.loads(stack.launcher("images", "--json").stdout)["images"]
    assert sorted(row["image"] for row in images if row["present"]) == sorted(
        IMAGES[name] for name in ("postgres", "redis", "busybox"))

    down = stack.launcher("down", "--volumes", "--yes")
    assert down.returncode == 0, down.stderr
    assert left_on_podman(podman, stack.project) == {"container": [], "volume": []}
