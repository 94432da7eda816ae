"""Every instance on this machine: what is left of each in the engine, `ls`, `down --all` and `gc`.

The registry (support/registry.py) knows the instances; the engine knows their
containers, networks and volumes by the compose project label. An instance whose
folder is gone and that has nothing left in the engine is forgotten at once; one
that still has something keeps its name and ports until `gc` removes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from wizard.core.docker.containers import PROJECT_LABEL
from wizard.core.support import registry
from wizard.core.support.events import Event, Finished, Note


@dataclass
class InstanceRow:
    """One line of `launcher ls`."""

    name: str
    stack: str
    folder: str
    state: str  # "running", "stopped", "not created", "folder gone" or "stale"
    ports: dict[str, int]
    offset: int
    volume_bytes: int | None  # None when the engine does not say
    last_up: str
    containers: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)

    @property
    def stale(self) -> bool:
        return self.state in ("folder gone", "stale")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "stack": self.stack, "folder": self.folder, "state": self.state,
                "ports": self.ports, "offset": self.offset, "volume_bytes": self.volume_bytes,
                "last_up": self.last_up or None, "containers": self.containers, "volumes": self.volumes}


def sdk_client():
    """A Docker SDK client, or None when no engine answers (the registry is still shown)."""
    import docker.errors

    from wizard.core.docker.endpoint import sdk_client as engine_client

    try:
        client = engine_client()
        client.ping()
    except docker.errors.DockerException:
        return None
    return client


def _labelled(name: str) -> dict[str, str]:
    return {"label": f"{PROJECT_LABEL}={name}"}


def _still_registered(entry: registry.Instance) -> bool:
    """Whether the folder's own instance name is still this entry's (not re-named or re-used)."""
    from wizard.core.manifest.instance import recorded

    return recorded(Path(entry.folder)) in ("", entry.name)


def rows(client, *, sizes: bool = True) -> list[InstanceRow]:
    """Every registered instance with what the engine holds of it (nothing when ``client`` is None)."""
    found = []
    usage = _volume_sizes(client) if client is not None and sizes else {}
    for entry in registry.read().values():
        containers, volumes, networks = _resources(client, entry.name)
        running = [c for c in containers if c.status == "running"]
        if entry.folder_gone:
            state = "folder gone"
        elif not _still_registered(entry):
            state = "stale"
        elif running:
            state = "running"  # one-shot jobs that are done count as part of a running instance
        else:
            state = "stopped" if containers else "not created"
        sizes_known = [usage[v] for v in volumes if v in usage]
        found.append(InstanceRow(entry.name, entry.stack, entry.folder, state, dict(entry.ports), entry.offset,
                                 sum(sizes_known) if sizes_known or not volumes else None, entry.last_up,
                                 sorted(c.name for c in containers), sorted(volumes), sorted(networks)))
    return sorted(found, key=lambda row: (row.stack, row.name))


def _resources(client, name: str) -> tuple[list[Any], list[str], list[str]]:
    if client is None:
        return [], [], []
    containers = client.containers.list(all=True, filters=_labelled(name))
    volumes = [volume.name for volume in client.volumes.list(filters=_labelled(name))]
    networks = [network.name for network in client.networks.list(filters=_labelled(name))]
    return containers, volumes, networks


def _volume_sizes(client) -> dict[str, int]:
    """Bytes used by each volume, from the engine's disk-usage report (one call)."""
    usage = client.df().get("Volumes") or []
    return {volume["Name"]: int((volume.get("UsageData") or {}).get("Size", 0)) for volume in usage
            if (volume.get("UsageData") or {}).get("Size", -1) >= 0}


def forget_gone(client=None) -> list[str]:
    """Forget every instance whose folder is gone and that has nothing left in the engine.

    Without an engine nothing is known of its data, so nothing is forgotten.
    """
    with registry.changing("forget") as instances:
        gone = [entry for entry in instances.values() if entry.folder_gone]
        if not gone:
            return []
        client = client or sdk_client()
        if client is None:
            return []
        forgotten = [entry.name for entry in gone if not any(_resources(client, entry.name))]
        for name in forgotten:
            del instances[name]
    return forgotten


def down_all(*, volumes: bool = False) -> Iterator[Event]:
    """`launcher down` in every registered instance whose folder is there."""
    from wizard.core.lifecycle.launch import down
    from wizard.core.manifest.stack import load_stack

    stopped = []
    for entry in registry.read().values():
        if entry.folder_gone or not _still_registered(entry):
            yield Note(message=f"{entry.name}: folder {entry.folder} is gone or re-used; `launcher gc` removes it")
            continue
        for event in down(load_stack(Path(entry.folder) / "stack.toml"), volumes=volumes):
            if not isinstance(event, Finished):
                yield event
        stopped.append(entry.name)
    yield Finished(ok=True, elapsed=0.0, summary=f"{len(stopped)} instance(s) down",
                   details={"instances": stopped, "volumes_deleted": volumes})


def gc(doomed: list[InstanceRow], client, *, volumes: bool = False) -> Iterator[Event]:
    """Remove the containers and networks (and, with ``volumes``, the volumes) of stale instances.

    An instance is forgotten once nothing of it is left; with its volumes kept, it stays
    registered (name and ports) so a later `gc --volumes` still finds them.
    """
    removed = []
    for row in doomed:
        for container in client.containers.list(all=True, filters=_labelled(row.name)):
            container.remove(force=True)
        for network in client.networks.list(filters=_labelled(row.name)):
            network.remove()
        if volumes:
            for volume in client.volumes.list(filters=_labelled(row.name)):
                volume.remove(force=True)
        kept = "" if volumes or not row.volumes else f"; {len(row.volumes)} volume(s) kept"
        yield Note(message=f"{row.name}: removed {len(row.containers)} container(s), "
                           f"{len(row.networks)} network(s){kept}")
        removed.append(row.name)
    forget_gone(client)
    with registry.changing("gc") as instances:
        for row in doomed:
            # A stale entry (the folder now another instance's) has no data of its own to keep it.
            if row.state == "stale" and (volumes or not row.volumes):
                instances.pop(row.name, None)
    yield Finished(ok=True, elapsed=0.0, summary=f"{len(removed)} stale instance(s) cleaned",
                   details={"instances": removed, "volumes_deleted": volumes})
