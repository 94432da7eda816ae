"""Every instance on this machine: what is left of each in the engine, `ls`, `down --all` and `gc`.

The registry (support/registry.py) knows the instances; the engine knows their
containers, networks and volumes by the compose project label. The registry is a
note: its folder may be wrong (a checkout moved, a folder re-used), and the compose
``working_dir`` label of a moved checkout's containers names the old folder too. So
only the engine decides what goes: an instance is stale when its folder is not its
checkout *and* nothing of it runs, and `gc` removes no container that runs and no
volume any container it does not remove uses. An instance whose folder is gone and
that has nothing left in the engine is forgotten at once; one that still has
something keeps its name and ports until `gc` removes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from wizard.core.docker.containers import PROJECT_LABEL
from wizard.core.support import registry
from wizard.core.support.events import Event, Finished, Note


# A container in one of these states is something of its instance that runs: never removed by `gc`.
RUNS = ("running", "restarting", "paused")


@dataclass
class InstanceRow:
    """One line of `launcher ls`."""

    name: str
    stack: str
    folder: str
    state: str  # "running", "stopped", "not created", "folder gone" or "stale" (the folder is another's)
    ports: dict[str, int]
    offset: int
    volume_bytes: int | None  # None when the engine does not say
    last_up: str
    containers: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    folder_ok: bool = True  # whether its folder is its checkout (a running instance's may not be: it moved)

    @property
    def stale(self) -> bool:
        return self.state in ("folder gone", "stale")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "stack": self.stack, "folder": self.folder, "state": self.state,
                "folder_ok": self.folder_ok, "ports": self.ports, "offset": self.offset,
                "volume_bytes": self.volume_bytes, "last_up": self.last_up or None,
                "containers": self.containers, "volumes": self.volumes, "networks": self.networks}


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


def is_checkout(entry: registry.Instance) -> bool:
    """Whether the entry's folder is that instance's checkout: a manifest there, and the instance
    name a command run there would use (recorded in ``.launcher/instance``, else derived) is the entry's."""
    from wizard.core.manifest.instance import instance_name

    root = Path(entry.folder)
    return not entry.folder_gone and instance_name(root, entry.stack) == entry.name


def runs(container) -> bool:
    return container.status in RUNS


def rows(client, *, sizes: bool = True) -> list[InstanceRow]:
    """Every registered instance with what the engine holds of it (nothing when ``client`` is None)."""
    found = []
    usage = _volume_sizes(client) if client is not None and sizes else {}
    for entry in registry.read().values():
        containers, volumes, networks = _resources(client, entry.name)
        folder_ok = is_checkout(entry)
        if any(runs(c) for c in containers):
            # Whatever the registry says of its folder: one-shot jobs that are done count as part of it.
            state = "running"
        elif not folder_ok:
            state = "folder gone" if entry.folder_gone else "stale"
        else:
            state = "stopped" if containers else "not created"
        sizes_known = [usage[v] for v in volumes if v in usage]
        found.append(InstanceRow(entry.name, entry.stack, entry.folder, state, dict(entry.ports), entry.offset,
                                 sum(sizes_known) if sizes_known or not volumes else None, entry.last_up,
                                 sorted(c.name for c in containers), sorted(volumes), sorted(networks),
                                 folder_ok))
    return sorted(found, key=lambda row: (row.stack, row.name))


def follow_move(root: Path) -> None:
    """Point the registry entry of the checkout at ``root`` here when it moved.

    The name recorded in ``root/.launcher/instance`` says which instance this checkout is. Its
    entry moves only when its folder is no longer that instance's checkout: a copy of a
    checkout that still exists elsewhere takes nothing from it.
    """
    from wizard.core.manifest.instance import recorded

    name, here = recorded(root), str(root)
    entry = registry.read().get(name) if name else None
    if entry is None or entry.folder == here or is_checkout(entry):
        return  # the daily case reads only; the lock is taken when there is something to move
    with registry.changing("move") as instances:
        entry = instances.get(name)
        if entry is not None and entry.folder != here and not is_checkout(entry):
            entry.folder = here


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


def down_targets(client) -> list[InstanceRow]:
    """The instances `down --all` acts on: each with anything in the engine, from its folder when
    that is its checkout, else (a checkout moved or gone) only what runs of it."""
    return [row for row in rows(client, sizes=False)
            if row.state == "running" or (row.folder_ok and (row.containers or row.volumes or row.networks))]


def down_all(targets: list[InstanceRow], client, *, volumes: bool = False) -> Iterator[Event]:
    """`launcher down` in each of ``targets`` (asked about by name); one whose folder is not its
    checkout has its containers stopped by the engine and nothing deleted."""
    from wizard.core.lifecycle.launch import down
    from wizard.core.manifest.stack import load_stack

    stopped = []
    for row in targets:
        entry = registry.read().get(row.name)
        stack = load_stack(Path(entry.folder) / "stack.toml") if entry is not None and is_checkout(entry) else None
        if stack is not None and stack.project == row.name:
            for event in down(stack, volumes=volumes):
                if not isinstance(event, Finished):
                    yield event
        else:
            running = [c for c in client.containers.list(filters=_labelled(row.name)) if runs(c)]
            for container in running:
                container.stop()
            yield Note(message=f"{row.name}: {len(running)} container(s) stopped; its folder {row.folder} is not "
                               "its checkout (moved?), so nothing was deleted: `launcher gc` lists it")
        stopped.append(row.name)
    yield Finished(ok=True, elapsed=0.0, summary=f"{len(stopped)} instance(s) down",
                   details={"instances": stopped, "volumes_deleted": volumes})


def gc(doomed: list[InstanceRow], client, *, volumes: bool = False) -> Iterator[Event]:
    """Remove the containers and networks (and, with ``volumes``, the volumes) of stale instances.

    The engine is asked again at each step, and refuses by itself what started meanwhile:
    an instance of which anything runs now is left whole; containers are removed without
    force (a running one stays), networks only when nothing is attached, and a volume only
    when no container uses it. An instance is forgotten once nothing of it is left; with its
    volumes kept, it stays registered (name and ports) so a later `gc --volumes` still finds them.
    """
    removed = []
    for row in doomed:
        containers = client.containers.list(all=True, filters=_labelled(row.name))
        if any(runs(c) for c in containers):
            yield Note(message=f"{row.name}: kept, it runs now")
            continue
        kept: list[str] = []  # what the engine refused to remove, or a volume another container uses
        gone = [_remove_each(containers, kept), _remove_each(client.networks.list(filters=_labelled(row.name)), kept), 0]
        for volume in client.volumes.list(filters=_labelled(row.name)) if volumes else []:
            # Asked after its own containers went: any user left is a container outside the instance.
            users = sorted(c.name for c in client.containers.list(all=True, filters={"volume": volume.name}))
            if users:
                kept.append(f"{volume.name} (used by {', '.join(users)})")
            else:
                gone[2] += _remove_each([volume], kept)
        unasked = "" if volumes or not row.volumes else f"; {len(row.volumes)} volume(s) kept"
        yield Note(message=f"{row.name}: removed {gone[0]} container(s), {gone[1]} network(s), {gone[2]} volume(s)"
                           f"{unasked}" + (f"; kept: {', '.join(kept)}" if kept else ""))
        removed.append(row.name)
    _forget_cleaned(doomed, client)
    yield Finished(ok=True, elapsed=0.0, summary=f"{len(removed)} stale instance(s) cleaned",
                   details={"instances": removed, "volumes_deleted": volumes})


def _remove_each(things: list[Any], kept: list[str]) -> int:
    """Remove each container, network or volume without force (the engine refuses one that runs or
    is in use; that one is named in ``kept``); how many went."""
    from docker.errors import APIError, NotFound

    gone = 0
    for thing in things:
        try:
            thing.remove()
        except NotFound:
            pass  # removed meanwhile: gone all the same
        except APIError:
            kept.append(thing.name)
            continue
        gone += 1
    return gone


def _forget_cleaned(doomed: list[InstanceRow], client) -> None:
    """Forget each doomed instance of which nothing is left, unless its folder became its checkout meanwhile."""
    with registry.changing("gc") as instances:
        for row in doomed:
            entry = instances.get(row.name)
            if entry is not None and not is_checkout(entry) and not any(_resources(client, row.name)):
                del instances[row.name]
