"""Faults on the real engine: a service never healthy, a skipped group, a busy port, no engine, no compose."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import time

import pytest

from tests.conftest import default_sigint, launcher_command
from tests.integration.engine_stack import engine_stack, json_lines, project_containers  # noqa: F401

pytestmark = pytest.mark.integration


def test_service_that_never_gets_healthy(engine_stack, docker_client):
    stack = engine_stack
    stack.edit("compose/cache.yml", 'test: ["CMD", "redis-cli", "ping"]', 'test: ["CMD-SHELL", "echo probe-says-no; exit 1"]')
    stack.edit("compose/cache.yml", "retries: 30", "retries: 2")
    result = stack.launcher("up")
    assert result.returncode == 9, result.stdout + result.stderr  # ExitCode.UNHEALTHY
    # The failing service, its probe output, its own log lines, and the next command.
    assert "redis: FAILED: unhealthy" in result.stdout
    assert "exit 1: probe-says-no" in result.stdout
    assert "Ready to accept connections" in result.stdout
    assert "dig further: launcher logs redis" in result.stdout
    assert result.stderr.count("\n") == 1 and "service redis (group cache)" in result.stderr
    containers = project_containers(docker_client, stack.project)
    assert "migrate" not in containers and "web" not in containers  # dependents never started
    postgres = containers["postgres"]
    assert postgres.attrs["State"]["Health"]["Status"] == "healthy"  # the healthy group keeps running


def test_group_with_missing_required_paths_is_skipped(engine_stack, docker_client):
    stack = engine_stack
    stack.edit("stack.toml", 'after = ["db", "cache"]\n', 'after = ["db", "cache"]\nrequires_paths = ["app-src"]\n')
    result = stack.launcher("up")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "skipped app: missing ./app-src (requires_paths)" in result.stdout
    assert set(project_containers(docker_client, stack.project)) == {"postgres", "redis"}


def test_busy_port_is_named_by_preflight_and_doctor(engine_stack, docker_client):
    stack = engine_stack
    port = stack.ports["PG_PORT"]
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        up = stack.launcher("up")
        doctor = stack.launcher("doctor")
        doctor_json = stack.launcher("doctor", "--json")
    assert up.returncode == 8, up.stdout + up.stderr  # ExitCode.PREFLIGHT
    assert f"port {port} is busy" in up.stderr and "is held by process" in up.stderr
    assert "launcher init --set PG_PORT=" in up.stderr
    assert f"(pid {os.getpid()})" in up.stdout  # the test process holds it
    assert project_containers(docker_client, stack.project) == {}  # nothing started
    assert doctor.returncode == 8
    assert f"FAIL port {port}: postgres: 127.0.0.1:{port} is held by" in doctor.stdout
    report = json_lines(doctor_json.stdout)[0]
    assert report["ok"] is False
    failing = [c for c in report["checks"] if c["status"] == "fail"]
    suggested = int(failing[0]["hint"].rsplit("=", 1)[1])
    assert suggested != port


def test_busy_port_held_by_another_container_is_named(engine_stack, docker_client, images):
    stack = engine_stack
    port = stack.ports["WEB_PORT"]
    other = docker_client.containers.run(
        images["busybox"], ["sh", "-c", "mkdir -p /w && exec httpd -f -p 8080 -h /w"], detach=True,
        name=f"{stack.project}-squatter", labels={"com.docker.compose.project": stack.project + "x"},
        ports={"8080/tcp": ("127.0.0.1", port)})
    try:
        doctor = stack.launcher("doctor")
    finally:
        other.remove(force=True)
    assert doctor.returncode == 8, doctor.stdout + doctor.stderr
    assert f"is held by container {stack.project}-squatter" in doctor.stdout
    assert f"stop {stack.project}-squatter, or use port" in doctor.stdout


def closed_socket(tmp_path) -> str:
    """A unix socket file nobody accepts on: connecting gives 'connection refused'."""
    path = tmp_path / "docker.sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()
    return f"unix://{path}"


@pytest.mark.parametrize("command", [["up"], ["status"], ["down"], ["doctor"]])
def test_engine_not_reachable_is_one_line(engine_stack, tmp_path, command):
    result = engine_stack.launcher(*command, env={"DOCKER_HOST": closed_socket(tmp_path)})
    assert result.returncode == 7, result.stdout + result.stderr  # ExitCode.DOCKER_UNAVAILABLE
    if command == ["doctor"]:
        assert "FAIL engine: Docker engine not reachable" in result.stdout
        assert "connection refused" in result.stdout
    else:
        assert result.stderr.count("\n") == 1
        assert result.stderr.startswith("launcher: Docker engine not reachable at unix://")
        assert "(connection refused)" in result.stderr


def fake_bin(tmp_path, script: str | None) -> str:
    folder = tmp_path / "fakebin"
    folder.mkdir()
    if script is not None:
        path = folder / "docker-compose"
        path.write_text("#!/bin/sh\n" + script + "\n")
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(folder)


def test_compose_too_old(engine_stack, tmp_path, docker_client):
    path = fake_bin(tmp_path, 'echo "docker-compose version 1.29.2, build unknown"')
    result = engine_stack.launcher("up", env={"PATH": path, "XDG_CACHE_HOME": str(tmp_path / "fresh-cache")})
    assert result.returncode == 7, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1
    assert "Docker Compose v2.26.0 or newer is needed" in result.stderr and "1.29.2" in result.stderr
    assert project_containers(docker_client, engine_stack.project) == {}


def test_compose_missing(engine_stack, tmp_path):
    path = fake_bin(tmp_path, None)
    result = engine_stack.launcher("up", env={"PATH": path, "XDG_CACHE_HOME": str(tmp_path / "fresh-cache")})
    assert result.returncode == 7
    assert "no docker or docker-compose on PATH" in result.stderr


def start_up(stack, *args: str) -> subprocess.Popen:
    return subprocess.Popen([*launcher_command(), "up", *args], cwd=stack.root, env={**os.environ, **stack.env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint)


def read_until(process: subprocess.Popen, text: str, limit: float = 180) -> str:
    seen = ""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen += line
        if text in line:
            return seen
    process.kill()
    raise AssertionError(f"{text!r} never appeared in:\n{seen}")


def test_ctrl_c_while_waiting_stops_cleanly(engine_stack, docker_client):
    stack = engine_stack
    stack.edit("compose/db.yml", '"pg_isready", "-U", "postgres", "-h", "127.0.0.1"]', '"false"]')
    process = start_up(stack)
    read_until(process, "postgres: running")
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted" in err
    assert set(project_containers(docker_client, stack.project)) == {"postgres"}  # nothing after it started


def test_ctrl_c_during_an_init_step_records_nothing_half_done(engine_stack, docker_client):
    import psycopg

    stack = engine_stack
    (stack.root / "seeds/postgres/00_tables/002_slow.sql").write_text(
        "CREATE TABLE slow_marker (id int);\nSELECT pg_sleep(120);\n")
    process = start_up(stack, "--only", "db")
    read_until(process, "001_items.sql: applied")
    time.sleep(1.0)  # now inside 002_slow.sql's transaction
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    password = next(line.split("=", 1)[1] for line in (stack.root / ".env").read_text().splitlines()
                    if line.startswith("PG_PASSWORD="))
    dsn = f"postgresql://postgres:{password}@127.0.0.1:{stack.ports['PG_PORT']}/postgres"
    with psycopg.connect(dsn) as conn:
        applied = [row[0] for row in conn.execute("SELECT path FROM launcher.applied_seeds ORDER BY path")]
        marker = conn.execute("SELECT to_regclass('slow_marker')").fetchone()[0]
    assert applied == ["00_tables/001_items.sql"]  # the interrupted file is not recorded as done
    assert marker is None  # and nothing of it was kept
    # The next `up` picks up where it stopped: the slow file is pending again (and is removed here).
    (stack.root / "seeds/postgres/00_tables/002_slow.sql").write_text("CREATE TABLE slow_marker (id int);\n")
    again = stack.launcher("up", "--only", "db")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "002_slow.sql: applied" in again.stdout and "001_items.sql: applied" not in again.stdout
