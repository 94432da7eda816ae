"""The engine test stack (tests/fixtures/engine_stack) in a temp folder, as a real user runs it.

Each test gets its own copy with a unique compose project name (the lead's
``compose_project`` fixture removes every container, network and volume of it
afterwards) and free host ports, initialised by the real `launcher init`.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "engine_stack"
PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"


def git(*args: str, cwd: Path) -> None:
    """Run git in ``cwd`` as a throwaway identity (the tests that make repositories and worktrees)."""
    import subprocess

    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=cwd, check=True,
                   capture_output=True)


def free_ports(count: int) -> list[int]:
    """Distinct ports nobody listens on right now (held open together so they differ)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class EngineStack:
    root: Path
    project: str
    ports: dict[str, int]
    run: Callable[..., Any]
    env: dict[str, str] = field(default_factory=dict)

    def launcher(self, *args: str, env: dict[str, str] | None = None, timeout: float = 240, **options):
        return self.run(*args, cwd=self.root, env={**self.env, **(env or {})}, timeout=timeout, **options)

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.root / relative
        text = path.read_text()
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new))


def initialised_checkout(tmp_path: Path, folder: str, compose_project: str, run_launcher,
                         env: dict[str, str] | None = None) -> EngineStack:
    """A copy of the engine test stack in ``tmp_path/folder``, named ``compose_project``, after `launcher init`
    (with ``env`` added to every launcher run: another engine's DOCKER_HOST, say)."""
    root = tmp_path / folder
    shutil.copytree(FIXTURE, root)
    manifest = root / "stack.toml"
    manifest.write_text(manifest.read_text().replace('name = "enginestack"', f'name = "{compose_project}"'))
    pg, redis, web = free_ports(3)
    stack = EngineStack(root=root, project=compose_project, ports={"PG_PORT": pg, "REDIS_PORT": redis, "WEB_PORT": web},
                        run=run_launcher, env={"XDG_CACHE_HOME": str(tmp_path / f"cache-{folder}"), **(env or {})})
    result = stack.launcher("init", "--non-interactive", *(f"--set={name}={port}" for name, port in stack.ports.items()))
    assert result.returncode == 0, result.stderr
    return stack


@pytest.fixture
def engine_stack(tmp_path, compose_project, images, run_launcher) -> EngineStack:
    return initialised_checkout(tmp_path, "stack", compose_project, run_launcher)


class EventRecorder:
    """Docker's own event stream for one compose project, read in the background.

    The independent witness of order: when each container started, turned healthy, died.
    """

    def __init__(self, client, project: str) -> None:
        self._stream = client.events(decode=True, filters={"label": f"{PROJECT_LABEL}={project}", "type": "container"})
        self.events: list[dict[str, Any]] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for event in self._stream:
                self.events.append(event)
        except Exception:  # noqa: BLE001 - closing the stream from stop() ends the read this way
            pass

    def stop(self) -> None:
        self._stream.close()
        self._thread.join(timeout=5)

    def times(self, service: str, action: str) -> list[float]:
        """When ``service`` had ``action`` (e.g. "start", "health_status: healthy"), in seconds."""
        return [event["timeNano"] / 1e9 for event in self.events
                if event.get("Action") == action
                and event.get("Actor", {}).get("Attributes", {}).get(SERVICE_LABEL) == service]


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def project_containers(client, project: str) -> dict[str, Any]:
    """Service name -> container (all states) of a compose project."""
    found = client.containers.list(all=True, filters={"label": f"{PROJECT_LABEL}={project}"})
    return {container.labels[SERVICE_LABEL]: container for container in found}
