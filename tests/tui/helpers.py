"""Shared pieces of the TUI tests: fixture stacks, fixed secrets, a fake engine, screen text."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Any

from wizard.core.docker.containers import ContainerState
from wizard.core.docker.model import ComposeModel, PublishedPort, ServiceSpec
from wizard.core.manifest.stack import Stack

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Fixed values so snapshots and file comparisons do not depend on randomness or the clock.
FIXED_SECRETS = {
    "DB_PASSWORD": "fixed-db-password-0123456",
    "JWT_SECRET": "fixed-jwt-secret-0123456789abcdefghijklmn",
    "API_TOKEN": "0123456789abcdef0123456789abcdef",
}
FIXED_NOW = 1_700_000_000


def copy_stack(name: str, into: Path) -> Path:
    """A fresh copy of a fixture stack; returns its folder."""
    target = into / name
    shutil.copytree(FIXTURES / name, target)
    return target


def fixed_session(stack: Stack, **options):
    """A wizard session whose generated secrets are fixed (and the JWT signed at a fixed time)."""
    from wizard.core.manifest.kinds.hs256 import sign_jwt
    from wizard.core.lifecycle.initsession import InitSession

    session = InitSession.start(stack, **options)
    for name, value in FIXED_SECRETS.items():
        if name in session.pinned:
            session.pinned[name] = value
    for spec in stack.secrets:
        if spec.kind == "jwt" and spec.name in session.pinned:
            session.pinned[spec.name] = sign_jwt(spec, session.secret_value(spec.signed_with), now=FIXED_NOW)
    return session


def fixed_port_checker(session):
    """Port statuses that read the same on every machine: one port busy, with who holds it."""
    from wizard.core.lifecycle.initsession import PortStatus

    statuses = []
    for spec in session.port_settings():
        port = int(session.settings[spec.name])
        if spec.name == "MONGO_PORT" and port == 27117:
            statuses.append(PortStatus(spec.name, port, "busy", "held by process mongod (pid 4242)", 27118))
        else:
            statuses.append(PortStatus(spec.name, port, "ok", "free"))
    return statuses


class FakeEngine:
    """The engine boundary with scripted containers, for dashboard tests above a real status/launch.

    Records the actions it is asked for; counts how many snapshots run at once.
    """

    # Each wave lists afresh (it never remembers a list); tests that check images set a store.
    listed: list[ContainerState] | None = None
    image_store: Any = None
    remote_host = ""

    def __init__(self, stack: Stack, services: list[ServiceSpec], *, list_delay: float = 0.0) -> None:
        self.stack = stack
        self.project = stack.name
        self._model = ComposeModel(tuple(services), {spec.name: spec.group for spec in services})
        self.states: dict[str, ContainerState] = {}
        self.actions: list[tuple] = []
        self.list_delay = list_delay
        self.fail_on_start: set[str] = set()
        self.list_calls = 0
        self.concurrent = 0
        self.max_concurrent = 0
        self._lock = threading.Lock()
        self.compose = type("FakeCompose", (), {"describe": lambda self: "docker compose (fake)",
                                                 "version": "2.40.0"})()

    # -- scripting ------------------------------------------------------------------------

    def run(self, service: str, *, health: str = "healthy", uptime: float = 120.0,
            ports: tuple[PublishedPort, ...] = ()) -> None:
        spec = self._model.service(service)
        words = {"healthy": " (healthy)", "unhealthy": " (unhealthy)", "starting": " (health: starting)", "": ""}
        self.states[service] = ContainerState(
            id=f"id-{service}", name=f"{self.project}-{service}-1", service=service, state="running",
            health=health, exit_code=None, created=0.0, uptime=uptime,
            status=f"Up 2 minutes{words[health]}", ports=ports or spec.ports, project=self.project)

    def stop(self, service: str, exit_code: int = 1) -> None:
        old = self.states[service]
        self.states[service] = ContainerState(
            id=old.id, name=old.name, service=service, state="exited", health="", exit_code=exit_code,
            created=0.0, uptime=None, status=f"Exited ({exit_code}) 1 second ago", project=self.project)

    # -- the Engine methods status.snapshot and launch use --------------------------------

    def ping(self) -> None:
        pass

    def model(self) -> ComposeModel:
        return self._model

    def containers(self) -> list[ContainerState]:
        with self._lock:
            self.concurrent += 1
            self.max_concurrent = max(self.max_concurrent, self.concurrent)
            self.list_calls += 1
        try:
            if self.list_delay:
                time.sleep(self.list_delay)
            return list(self.states.values())
        finally:
            with self._lock:
                self.concurrent -= 1

    def all_containers(self) -> list[ContainerState]:
        return list(self.states.values())

    def restart_counts(self, container_ids) -> dict[str, int]:
        return {cid: 3 if cid == "id-worker" else 0 for cid in container_ids}

    def versions(self) -> dict[str, Any]:
        return {"engine": "20.10.24", "api": "1.41", "memory": 8 * 1024 ** 3, "cpus": 2, "root_dir": "/",
                "os": "Debian"}

    def restart(self, services) -> None:
        self.actions.append(("restart", tuple(services)))

    def down(self, volumes: bool = False) -> str:
        self.actions.append(("down", volumes))
        self.states.clear()
        return ""

    def start(self, services, pull: str = "missing"):
        """Compose up, done at once: each service runs, or exits 1 when listed in ``fail_on_start``."""
        self.actions.append(("start", tuple(services)))
        for service in services:
            self.run(service)
            if service in self.fail_on_start:
                self.stop(service, 1)
        return None

    def failure_details(self, container_id, tail=40):
        return (("exit 1: connection refused",), ("booting", "fatal: cannot reach the database"))

    def by_hand(self) -> str:
        return f"docker compose -p {self.project} --env-file .env"

    def start_by_hand(self, service: str) -> str:
        return f"{self.by_hand()} up {service}"

    def logs_by_hand(self, service: str) -> str:
        return f"launcher logs {service}"

    def logs(self, container, *, follow=False, tail="all"):
        self.actions.append(("logs", container))
        yield f"{container}: listening on 8080\n{container}: GET / 200\n".encode()

    def has_program(self, container, program) -> bool:
        return False

    def exec_interactive(self, service, command) -> int:
        self.actions.append(("shell", service, tuple(command)))
        return 0


def files_under(root: Path) -> dict[str, bytes]:
    """Every file below root with its bytes (what a run wrote)."""
    return {path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*")) if path.is_file()}


async def wait_for(pilot, condition, timeout: float = 10.0) -> None:
    """Let the app run until condition() holds (workers report through messages)."""
    waited = 0.0
    while not condition():
        assert waited < timeout, "condition not reached"
        await pilot.pause(0.05)
        waited += 0.05


def title(app) -> str:
    """The dashboard's title line ("" while the screen is still being built)."""
    titles = app.screen.query("#dash-title")
    return str(titles.first().render()) if titles else ""

