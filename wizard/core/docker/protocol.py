"""The seam between the orchestration and a deploy target: what core asks of an engine.

``Engine`` is what launch, status, doctor and the image checks call: the local
compose project (``ComposeEngine``), the Swarm target (``SwarmEngine``) and the
tests' scripted fakes all provide it, and tests/unit/test_engine_protocol.py
checks each against it, signatures included. A new deploy target is one more
class with these members.

``DirectEngine`` adds the raw handles (the Docker SDK client, the compose
command line, log streams, exec) that snapshots, rotation, image builds,
``launcher logs`` and the TUI's shell use; only real engines have those.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator, Protocol, Sequence, runtime_checkable

if TYPE_CHECKING:
    import subprocess
    from pathlib import Path

    from wizard.core.docker.composecli import ComposeCLI
    from wizard.core.docker.confighash import Wanted
    from wizard.core.docker.containers import ContainerState
    from wizard.core.docker.model import ComposeModel
    from wizard.core.manifest.stack import Stack


@runtime_checkable
class Run(Protocol):
    """Starting services, under way in the background (``Engine.start``'s answer)."""

    def done(self) -> bool: ...

    @property
    def returncode(self) -> int | None: ...

    def output(self) -> str: ...

    def cancel(self) -> None: ...


@runtime_checkable
class Engine(Protocol):
    """One stack on one deploy target: its model, its containers, and starting and stopping them."""

    project: str
    # The answer of the last containers() call, which `up` starts each wave from (see
    # launch.up); an engine that keeps None has each wave list afresh.
    listed: list[ContainerState] | None

    @property
    def compose(self) -> ComposeCLI: ...

    @property
    def remote_host(self) -> str: ...  # the machine the engine runs on; "" for this one (ports, folders, disk)

    @property
    def image_store(self) -> Any: ...  # a wizard.core.docker.imagestore.ImageStore

    def ping(self) -> None: ...

    def versions(self) -> dict[str, Any]: ...  # engine, api, memory, cpus, root_dir, os (for doctor)

    def model(self) -> ComposeModel: ...

    def containers(self) -> list[ContainerState]: ...

    def all_containers(self) -> list[ContainerState]: ...

    def restart_counts(self, container_ids: Sequence[str]) -> dict[str, int]: ...

    def failure_details(self, container_id: str, tail: int = 40) -> tuple[tuple[str, ...], tuple[str, ...]]: ...

    def start(self, services: Sequence[str], pull: str = "missing") -> Run: ...

    def restart(self, services: Sequence[str]) -> None: ...

    def down(self, volumes: bool = False) -> str: ...

    def by_hand(self) -> str: ...

    def start_by_hand(self, service: str) -> str: ...

    def logs_by_hand(self, service: str) -> str: ...


@runtime_checkable
class DirectEngine(Engine, Protocol):
    """An ``Engine`` on a real Docker engine, whose SDK client and compose command line core may use."""

    stack: Stack

    @property
    def client(self) -> Any: ...  # a docker.DockerClient

    def compose_files(self) -> list[Path]: ...  # every group's files, then the upgrade override if any

    def compose_command(self, *args: str, files: Sequence[Path] | None = None,
                        profiles: Sequence[str] | None = None, env_file: bool = True) -> list[str]: ...

    def run_compose(self, *args: str, check: bool = True, **options: Any) -> subprocess.CompletedProcess[str]: ...

    def logs(self, container_id: str, *, follow: bool = False, tail: int | str = "all") -> Iterator[bytes]: ...

    def has_program(self, container_id: str, program: str) -> bool: ...

    def exec_interactive(self, service: str, command: Sequence[str]) -> int: ...


# Optional abilities: `up` uses them when the engine has them and goes on without them when not
# (Swarm makes its own containers and has no compose project events; the tests' fakes neither).


@runtime_checkable
class CreatesAhead(Protocol):
    """An engine that can make the containers of a run before their wave starts, as compose does."""

    def create(self, services: Sequence[str], pull: str = "missing") -> bool: ...  # True: all were made

    def create_in_background(self, services: Sequence[str], pull: str = "missing") -> Run: ...

    def start_created(self, services: Sequence[str]) -> Run: ...

    def remove_unstarted(self, services: Sequence[str]) -> None: ...


@runtime_checkable
class ReadsVolumes(Protocol):
    """An engine whose services mount the named volumes its compose model names, which `up` may read
    before it starts anything (a Postgres data volume's major version: see ``wizard.core.docker.pgdata``)."""

    def has_volume(self, name: str) -> bool: ...

    def pgdata_majors(self, image: str, volume: str) -> tuple[int | None, int]: ...  # (data, server) majors


class Watcher(Protocol):
    """An open stream of the project's container events."""

    def wait(self, timeout: float) -> None: ...  # returns at the next event, or after timeout

    def close(self) -> None: ...


@runtime_checkable
class WatchesEvents(Protocol):
    """An engine whose `up` can sleep until a container changes rather than for a fixed tick."""

    def watch(self) -> Watcher | None: ...  # None: no stream here, tick instead


@runtime_checkable
class RecordsUp(Protocol):
    """An engine that keeps the resolved config of the last successful `up` (`launcher upgrade` compares with it)."""

    # ``started``: the services this run (re)started; ``current``: those that match the files now.
    def record_up(self, started: Sequence[str] = (), current: Sequence[str] = ()) -> None: ...

    def resolved_config(self) -> dict[str, Any]: ...  # compose's resolved config now, values interpolated


@runtime_checkable
class Converges(Protocol):
    """An engine whose `up` converges running containers on the files as compose does (``lifecycle.converge``)."""

    def wanted(self) -> Wanted: ...  # compose's config hash of each service now (``docker.confighash``)

    def stop(self, services: Sequence[str]) -> None: ...  # before a `restart: true` dependency is recreated
