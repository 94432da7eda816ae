"""A scripted stand-in for the real engine (``ComposeEngine``), for unit tests and the TUI's tests.

It has the members of the ``Engine`` Protocol (wizard.core.docker.protocol). Each service
gets a script: the states its container goes through, one per list call after
compose started it. The real engine is exercised by tests/integration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from wizard.core.docker.composecli import ComposeCLI
from wizard.core.docker.containers import ContainerState
from wizard.core.docker.model import ComposeModel, PublishedPort, ServiceSpec


def container(service: str, state: str = "running", health: str = "", exit_code: int | None = None,
              ports: Sequence[PublishedPort] = (), project: str = "demo") -> ContainerState:
    """A container as the list call would report it."""
    status = {"running": "Up 5 seconds", "exited": f"Exited ({exit_code}) 1 second ago",
              "created": "Created"}.get(state, state.capitalize())
    if health:
        status += f" ({'health: starting' if health == 'starting' else health})"
    return ContainerState(id=f"id-{service}", name=f"{project}-{service}-1", service=service, state=state,
                          health=health, exit_code=exit_code, created=0.0,
                          uptime=5.0 if state == "running" else None, status=status, ports=tuple(ports),
                          project=project)


@dataclass
class FakeRun:
    """A compose run that has finished with ``returncode`` (or runs for ``ticks`` more list calls)."""

    returncode_when_done: int = 0
    ticks: int = 0
    text: str = ""
    cancelled: bool = False

    def done(self) -> bool:
        return self.ticks <= 0

    @property
    def returncode(self) -> int | None:
        return self.returncode_when_done if self.done() else None

    def output(self) -> str:
        return self.text

    def cancel(self) -> None:
        self.cancelled = not self.done()


class FakeEngine:
    """Scripted engine: ``scripts[service]`` lists (state, health, exit_code) seen after start."""

    # The tests that check images set a scripted store; the others have no images to look up.
    image_store: Any = None
    remote_host = ""  # the engine on this machine; the remote-engine tests set a host

    def __init__(self, specs: Iterable[ServiceSpec], *, project: str = "demo",
                 running: Iterable[ContainerState] = (), scripts: dict[str, list[tuple]] | None = None,
                 compose_fails: str = "", compose_ticks: int = 0) -> None:
        self.project = project
        self._model = ComposeModel(tuple(specs), {s.name: s.group for s in specs})
        self.current = {c.service: c for c in running}
        self.scripts = scripts or {}
        self.compose = ComposeCLI(("docker", "compose"), "2.40.3")
        self.compose_fails = compose_fails
        self.compose_ticks = compose_ticks
        self.started: list[list[str]] = []  # one entry per compose up, in order
        self.restarted: list[list[str]] = []
        self.list_calls = 0
        self.listed: list[ContainerState] | None = None
        self.run: FakeRun | None = None
        self.downed: list[bool] = []
        self._pending: dict[str, list[tuple]] = {}

    # the Engine interface -------------------------------------------------------

    def ping(self) -> None:
        return None

    def by_hand(self) -> str:
        return f"docker compose -p {self.project} --env-file .env"

    def start_by_hand(self, service: str) -> str:
        return f"{self.by_hand()} up {service}"

    def logs_by_hand(self, service: str) -> str:
        return f"launcher logs {service}"

    def model(self) -> ComposeModel:
        return self._model

    def containers(self) -> list[ContainerState]:
        self.list_calls += 1
        if self.run is not None and self.run.ticks > 0:
            self.run.ticks -= 1
        for service, steps in list(self._pending.items()):
            if steps:
                state, health, exit_code = steps.pop(0)
                spec = self._model.service(service)
                self.current[service] = container(service, state, health, exit_code, spec.ports, self.project)
        self.listed = list(self.current.values())
        return self.listed

    def all_containers(self) -> list[ContainerState]:
        return list(self.current.values())

    def restart_counts(self, container_ids: Sequence[str]) -> dict[str, int]:
        return {cid: 2 for cid in container_ids}

    def versions(self) -> dict[str, Any]:
        return {"engine": "20.10.24", "api": "1.41", "memory": 8 * 1024 ** 3, "cpus": 2, "root_dir": "/",
                "os": "Debian"}

    def start(self, services: Sequence[str], pull: str = "missing") -> FakeRun:
        self.started.append(list(services))
        for service in services:
            self._pending[service] = list(self.scripts.get(service, self._settles(service)))
        self.run = FakeRun(1 if self.compose_fails else 0, self.compose_ticks, self.compose_fails)
        return self.run

    def restart(self, services: Sequence[str]) -> None:
        self.restarted.append(list(services))
        for service in services:
            self._pending[service] = list(self.scripts.get(service, self._settles(service)))

    def down(self, volumes: bool = False) -> str:
        self.downed.append(volumes)
        self.current.clear()
        return ""

    def _settles(self, service: str) -> list[tuple]:
        """Without a script a service becomes ready at once: a job exits 0, a server is healthy."""
        spec = self._model.service(service)
        if spec.oneshot:
            return [("exited", "", 0)]
        return [("running", "healthy" if spec.healthcheck else "", None)]

    def failure_details(self, container_id: str, tail: int = 40) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return ("exit 1: connection refused",), tuple(f"log line {n}" for n in range(1, 46))[-tail:]


def spec(name: str, group: str, **options) -> ServiceSpec:
    """A ServiceSpec with a healthcheck unless told otherwise."""
    options.setdefault("healthcheck", True)
    return ServiceSpec(name=name, group=group, **options)


def healthy(service: str, project: str = "demo") -> ContainerState:
    return container(service, "running", "healthy", project=project)


__all__ = ["FakeEngine", "FakeRun", "container", "healthy", "spec"]
