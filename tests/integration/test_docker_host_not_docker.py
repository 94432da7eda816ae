"""DOCKER_HOST pointing at something that is not a Docker engine: one line and exit 7, never a crash.

A small server in a thread on 127.0.0.1 answers every connection with garbage (or with
HTTP that is not the Docker API) and hangs up; the real `launcher` runs against it.
"""

from __future__ import annotations

import shutil
import socket
import threading
from pathlib import Path

import pytest

from wizard.exitcodes import ExitCode

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "engine_stack"
ANSWERS = {
    "garbage": b"hello\n",
    "html": b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>not docker</html>",
}


class OneLineServer:
    """Answers each connection on 127.0.0.1 with fixed bytes, then closes it; stops with the test."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except socket.timeout:
                continue
            with connection:
                self.connections += 1
                connection.settimeout(1.0)
                try:
                    connection.recv(65536)  # the request, unread beyond this
                    connection.sendall(self.answer)
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.listener.close()


@pytest.fixture(params=sorted(ANSWERS))
def not_docker(request):
    server = OneLineServer(ANSWERS[request.param])
    yield server
    server.close()


@pytest.fixture
def stack_root(tmp_path):
    """The engine test stack, initialised (env file and store written), nothing started."""
    from wizard.core.manifest.stack import load_stack
    from wizard.core.values.resolution import initialize

    root = tmp_path / "stack"
    shutil.copytree(FIXTURE, root)
    initialize(load_stack(root / "stack.toml"), {})
    return root


@pytest.mark.parametrize("command", [("up", "--non-interactive"), ("status",), ("doctor",)])
def test_a_docker_host_that_is_not_docker_is_one_line_and_exit_7(stack_root, not_docker, run_launcher, command,
                                                                    tmp_path):
    host = f"tcp://127.0.0.1:{not_docker.port}"
    result = run_launcher(*command, cwd=stack_root, timeout=120,
                          env={"DOCKER_HOST": host, "XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert result.returncode == ExitCode.DOCKER_UNAVAILABLE, result.stdout + result.stderr
    assert not_docker.connections >= 1
    # doctor reports it as its failing engine check (on stdout); the others as the error line.
    [line] = [line for line in (result.stdout + result.stderr).splitlines() if host in line]
    assert "not as a Docker engine" in line and "DOCKER_HOST" in line.split(" — ", 1)[1]
    assert "unexpected error" not in result.stderr and "Traceback" not in result.stderr
    if command[0] != "doctor":
        assert result.stderr.splitlines() == [line]
