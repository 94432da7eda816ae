"""`launcher up`, `status`, `restart`, `logs`, `shell` and `down` on the real engine with the engine test stack."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from tests.conftest import default_sigint, launcher_command
from tests.integration.engine_stack import EventRecorder, engine_stack, json_lines, project_containers  # noqa: F401

pytestmark = pytest.mark.integration


def redis_ping(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(64)


def test_up_in_order_then_no_op_status_and_down(engine_stack, docker_client):
    stack = engine_stack
    recorder = EventRecorder(docker_client, stack.project)
    try:
        result = stack.launcher("up", "--json", "--pull", "never")
    finally:
        recorder.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    events = json_lines(result.stdout)
    assert [e["groups"] for e in events if e["event"] == "wave-started"] == [["db"], ["cache"], ["app"]]
    # The db group's init step ran once postgres was healthy, before the next wave.
    names = [e["event"] for e in events]
    assert names.index("step-finished") < [i for i, e in enumerate(events) if e["event"] == "wave-started"][1]
    assert names.index("step-started") > next(i for i, e in enumerate(events)
                                              if e["event"] == "service-ready" and e["service"] == "postgres")
    assert any(e["event"] == "step-progress" and "001_items.sql" in e["message"] for e in events)
    assert events[-1]["event"] == "finished" and events[-1]["ok"]

    # Docker's own clock: each wave started only once the one before was healthy (or done).
    postgres_healthy = min(recorder.times("postgres", "health_status: healthy"))
    redis_started = min(recorder.times("redis", "start"))
    redis_healthy = min(recorder.times("redis", "health_status: healthy"))
    migrate_started = min(recorder.times("migrate", "start"))
    migrate_died = min(recorder.times("migrate", "die"))
    web_started = min(recorder.times("web", "start"))
    assert min(recorder.times("postgres", "start")) < postgres_healthy <= redis_started
    assert redis_healthy <= migrate_started
    assert migrate_died <= web_started
    containers = project_containers(docker_client, stack.project)
    assert containers["migrate"].attrs["State"]["ExitCode"] == 0

    # A second `up` changes nothing: same containers, same start times, nothing started, but the
    # job that completed, which runs again in the same container, as compose runs it.
    before = {name: (c.id, c.attrs["State"]["StartedAt"]) for name, c in containers.items()}
    again = stack.launcher("up", "--json")
    assert again.returncode == 0, again.stderr
    finished = json_lines(again.stdout)[-1]
    assert finished["details"]["started"] == ["migrate"]
    assert not any(e["event"] == "step-progress" and "applied" in e["message"] and "already" not in e["message"]
                   for e in json_lines(again.stdout))
    ready = {e["service"]: e["how"] for e in json_lines(again.stdout) if e["event"] == "service-ready"}
    assert ready == {"postgres": "already-healthy", "redis": "already-healthy", "migrate": "completed",
                     "web": "already-healthy"}
    after = {name: (c.id, c.attrs["State"]["StartedAt"])
             for name, c in project_containers(docker_client, stack.project).items()}
    assert {name: found for name, found in after.items() if name != "migrate"} == \
        {name: found for name, found in before.items() if name != "migrate"}
    assert after["migrate"][0] == before["migrate"][0] and after["migrate"][1] > before["migrate"][1]

    # status --json: every service ready, with the URLs that really answer on 127.0.0.1.
    status = stack.launcher("status", "--json")
    assert status.returncode == 0, status.stderr
    rows = {row["service"]: row for row in json_lines(status.stdout)[0]["services"]}
    assert set(rows) == {"postgres", "redis", "migrate", "web"}
    assert all(row["ready"] for row in rows.values())
    assert {rows[name]["health"] for name in ("postgres", "redis", "web")} == {"healthy"}
    assert rows["migrate"]["state"] == "exited" and rows["migrate"]["exit_code"] == 0
    ports = stack.ports
    assert rows["postgres"]["urls"] == [f"postgresql://127.0.0.1:{ports['PG_PORT']}"]
    assert rows["redis"]["urls"] == [f"redis://127.0.0.1:{ports['REDIS_PORT']}"]
    assert rows["web"]["urls"] == [f"http://127.0.0.1:{ports['WEB_PORT']}"]
    assert urllib.request.urlopen(rows["web"]["urls"][0], timeout=5).read() == b"ok\n"
    assert redis_ping(ports["REDIS_PORT"]).startswith(b"+PONG")

    # The same project by hand, as doctor prints it: plain compose sees the launcher's containers.
    doctor = stack.launcher("doctor")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    by_hand = next(line for line in doctor.stdout.splitlines() if line.startswith("ok   by hand: "))
    command = by_hand.removeprefix("ok   by hand: ").split() + ["ps", "--all", "--format", "{{.Service}}"]
    listed = subprocess.run(command, cwd=stack.root, capture_output=True, text=True, check=True).stdout.split()
    assert sorted(listed) == ["migrate", "postgres", "redis", "web"]

    # down: containers gone, the postgres volume kept.
    volumes_before = {v.name for v in docker_client.volumes.list(filters={"label": f"com.docker.compose.project={stack.project}"})}
    assert f"{stack.project}_pgdata" in volumes_before
    down = stack.launcher("down")
    assert down.returncode == 0, down.stderr
    assert "volumes kept" in down.stdout
    assert project_containers(docker_client, stack.project) == {}
    volumes_after = {v.name for v in docker_client.volumes.list(filters={"label": f"com.docker.compose.project={stack.project}"})}
    assert volumes_after == volumes_before


def test_restart_logs_shell_and_down_volumes(engine_stack, docker_client):
    stack = engine_stack
    up = stack.launcher("up", "--only", "cache")
    assert up.returncode == 0, up.stdout + up.stderr
    assert "app" not in project_containers(docker_client, stack.project)
    redis = project_containers(docker_client, stack.project)["redis"]
    started = redis.attrs["State"]["StartedAt"]

    restarted = stack.launcher("restart", "cache")
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    assert "redis: healthy after" in restarted.stdout
    redis.reload()
    assert redis.attrs["State"]["StartedAt"] != started
    assert redis.attrs["State"]["Health"]["Status"] == "healthy"

    watch_json_and_plain(stack)

    logs = stack.launcher("logs", "redis", "--tail", "50")
    assert logs.returncode == 0 and "Ready to accept connections" in logs.stdout

    # Non-interactive stdin: the shell reads commands from it. redis has bash, busybox only sh.
    shell = stack.launcher("shell", "redis", input="echo shell=$0\n")
    assert "shell=bash" in shell.stdout, shell.stdout + shell.stderr

    unknown = stack.launcher("logs", "nope")
    assert unknown.returncode == 2 and "nope" in unknown.stderr

    refused = stack.launcher("down", "--volumes", "--non-interactive")
    assert refused.returncode == 11 and "--yes" in refused.stderr  # ExitCode.CANCELLED, as for rotate
    assert "redis" in project_containers(docker_client, stack.project)
    gone = stack.launcher("down", "--volumes", "--yes")
    assert gone.returncode == 0, gone.stderr
    assert docker_client.volumes.list(filters={"label": f"com.docker.compose.project={stack.project}"}) == []


def watch_for(stack, *args: str, seconds: float = 2.0) -> tuple[int, str]:
    """Run `launcher status --watch ...` for a while, then Ctrl-C it as a user would."""
    process = subprocess.Popen([*launcher_command(), "status", "--watch", "--interval", "0.3", *args], cwd=stack.root,
                               env={**os.environ, **stack.env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, preexec_fn=default_sigint)
    time.sleep(seconds)
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=30)
    return process.returncode, out


def watch_json_and_plain(stack) -> None:
    code, out = watch_for(stack, "--json")
    documents = json_lines(out)
    assert code == 0 and len(documents) >= 2  # refreshed, one JSON document per refresh
    for doc in documents:
        ready = {row["service"] for row in doc["services"] if row["ready"]}
        absent = {row["service"] for row in doc["services"] if row["state"] == "not created"}
        assert ready == {"postgres", "redis"} and absent == {"migrate", "web"}  # --only cache left app out
    times = [doc["time"] for doc in documents]
    assert times == sorted(times)
    code, out = watch_for(stack)
    assert code == 0 and out.count("GROUP  SERVICE") >= 2  # not a terminal: one table per refresh, no escapes
    assert "\x1b[2J" not in out
    assert watch_in_terminal(stack).count("\x1b[H\x1b[2J") >= 2  # a terminal: redrawn in place


def watch_in_terminal(stack) -> str:
    """`status --watch` with a pseudo-terminal as stdout; what it drew."""
    import pty
    import select

    leader, follower = pty.openpty()
    process = subprocess.Popen([*launcher_command(), "status", "--watch", "--interval", "0.3"], cwd=stack.root,
                               env={**os.environ, **stack.env}, stdout=follower, stderr=subprocess.PIPE,
                               preexec_fn=default_sigint)
    os.close(follower)
    drawn = b""
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline:
        if select.select([leader], [], [], 0.1)[0]:
            drawn += os.read(leader, 65536)
    process.send_signal(signal.SIGINT)
    process.wait(timeout=30)
    os.close(leader)
    assert process.returncode == 0
    return drawn.decode("utf-8", "replace")
