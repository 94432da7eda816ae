"""The few Docker SDK calls `ls`, `gc` and `down --all` make, over an in-memory engine that
refuses what the real one refuses (removing a running container, a network with a container
attached, a volume a container uses) and records every stop and removal."""

from __future__ import annotations

from dataclasses import dataclass, field

from docker.errors import APIError

PROJECT_LABEL = "com.docker.compose.project"


@dataclass
class Thing:
    engine: "FakeSdk"
    kind: str  # "container", "network" or "volume"
    name: str
    project: str
    status: str = ""  # a container's
    mounts: tuple[str, ...] = ()  # the volumes a container uses

    def remove(self, force: bool = False) -> None:
        if force:
            raise AssertionError("the launcher removed something with force")
        if self.kind == "container" and self.status == "running":
            raise APIError("conflict: the container is running")
        if self.kind != "container" and self.engine.users(self):
            raise APIError(f"{self.kind} is in use")
        self.engine.things.remove(self)
        self.engine.actions.append(f"remove {self.kind} {self.name}")

    def stop(self) -> None:
        self.status = "exited"
        self.engine.actions.append(f"stop {self.name}")


@dataclass
class FakeSdk:
    things: list[Thing] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.containers = _Listing(self, "container")
        self.networks = _Listing(self, "network")
        self.volumes = _Listing(self, "volume")

    def add_instance(self, project: str, *, status: str = "running", volumes: int = 1) -> None:
        """An instance as compose leaves it: one container using its volumes, on its network."""
        names = tuple(f"{project}_data{number}" for number in range(volumes))
        self.things += [Thing(self, "volume", name, project) for name in names]
        self.things.append(Thing(self, "network", f"{project}_default", project))
        self.things.append(Thing(self, "container", f"{project}-db-1", project, status, (*names, f"{project}_default")))

    def users(self, thing: Thing) -> list[Thing]:
        return [c for c in self.things if c.kind == "container" and thing.name in c.mounts]

    def df(self) -> dict:
        return {"Volumes": [{"Name": t.name, "UsageData": {"Size": 1024}} for t in self.things if t.kind == "volume"]}


@dataclass
class _Listing:
    engine: FakeSdk
    kind: str

    def list(self, all: bool = False, filters: dict | None = None) -> list[Thing]:
        found = [t for t in self.engine.things if t.kind == self.kind]
        if self.kind == "container" and not all:
            found = [t for t in found if t.status == "running"]
        for key, value in (filters or {}).items():
            if key == "label":
                label, _, wanted = value.partition("=")
                assert label == PROJECT_LABEL, value
                found = [t for t in found if t.project == wanted]
            elif key == "volume":
                found = [t for t in found if value in t.mounts]
            else:
                raise AssertionError(f"filter {key} not faked")
        return found
