"""The everyday path on rootless Docker (docker.io's `dockerd-rootless.sh` on rootlesskit, run by a
plain user of the test bed's own: tests/testbed/rootless_bed.py, started for this module and
stopped after it), with `DOCKER_HOST` at that user's socket: `init`, a cold `up` with a Postgres
seed and a one-shot job, the no-op `up`, `status` and `doctor` naming the engine rootless and
what that changes, a port below 1024 refused by `doctor` before compose would fail on it,
`snapshot save` / `restore` of a volume the user namespace owns, and `down --volumes`. The
launcher runs as root against the user's socket (see the bed's docstring for why).
"""

from __future__ import annotations

import json
import uuid

import pytest

from tests.conftest import IMAGES
from tests.integration.engine_stack import initialised_checkout, json_lines
from tests.testbed.rootless_bed import RootlessDockerBed

pytestmark = pytest.mark.integration

LABEL = "com.docker.compose.project"


@pytest.fixture(scope="module")
def rootless(images):
    bed = RootlessDockerBed()
    try:
        bed.load_images([IMAGES["postgres"], IMAGES["redis"], IMAGES["busybox"]])
        yield bed
    finally:
        bed.stop()


def left_on(bed: RootlessDockerBed, project: str) -> dict[str, list[str]]:
    return {kind: bed.docker(kind, "ls", "-q", *(["-a"] if kind == "container" else []),
                             "--filter", f"label={LABEL}={project}").stdout.split()
            for kind in ("container", "volume")}


def test_the_everyday_path_on_rootless_docker(tmp_path, rootless, run_launcher):
    project = f"lrl{uuid.uuid4().hex[:8]}"
    stack = initialised_checkout(tmp_path, "stack", project, run_launcher, env={"DOCKER_HOST": rootless.host})
    try:
        up = stack.launcher("up", "--json", "--pull", "never")
        assert up.returncode == 0, up.stdout + up.stderr
        events = json_lines(up.stdout)
        assert any(e["event"] == "step-progress" and "001_items.sql: applied" in e["message"] for e in events)
        assert {e["service"]: e["how"] for e in events if e["event"] == "service-ready"} == {
            "postgres": "healthy", "redis": "healthy", "migrate": "completed", "web": "healthy"}
        noop = stack.launcher("up", "--json")
        assert noop.returncode == 0 and json_lines(noop.stdout)[-1]["details"]["started"] == ["migrate"]

        status = json.loads(stack.launcher("status", "--json").stdout)
        assert all(row["ready"] for row in status["services"]), status["services"]
        assert status["engine"]["kind"] == "Docker" and status["engine"]["rootless"] is True
        checks = {c["name"]: c for c in json.loads(stack.launcher("doctor", "--json").stdout)["checks"]}
        assert "rootless" in checks["engine"]["detail"] and rootless.host in checks["engine"]["detail"]
        assert checks["rootless"]["status"] == "ok" and "subordinate user id" in checks["rootless"]["detail"]

        # A volume the user namespace owns is saved and put back through the engine's own helpers.
        assert stack.launcher("snapshot", "save", "first").returncode == 0
        redis_cli = ["exec", f"{project}-redis-1", "redis-cli"]
        assert rootless.docker(*redis_cli, "SET", "greeting", "changed").returncode == 0
        restored = stack.launcher("snapshot", "restore", "first", "--yes")
        assert restored.returncode == 0, restored.stdout + restored.stderr
        assert rootless.docker(*redis_cli, "GET", "greeting").stdout.strip() == ""

        down = stack.launcher("down", "--volumes", "--yes")
        assert down.returncode == 0, down.stderr
        assert left_on(rootless, project) == {"container": [], "volume": []}

        # A port below 1024 is named by doctor, with the two ways out, before compose fails on it.
        assert stack.launcher("init", "--non-interactive", "--set", "WEB_PORT=80").returncode == 0
        checks = {c["name"]: c for c in json.loads(stack.launcher("doctor", "--json").stdout)["checks"]}
        assert checks["rootless"]["status"] == "fail"
        assert checks["rootless"]["detail"].endswith("below 1024: 80 (web)")
    finally:
        for kind in ("container", "volume"):
            names = left_on(rootless, project)[kind]
            if names:
                rootless.docker(kind, "rm", "-f", *names)
