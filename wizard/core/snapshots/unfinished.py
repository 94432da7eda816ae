"""A restore that stopped half way: what it left set aside, and `snapshot restore --abandon`.

The marker (``lifecycle/restoremarker.py``) only says where to look. What is set aside is asked of the
engine (volumes the launcher labelled ``launcher.aside-of`` for this project when it
made them) and of the database server (a database under ``postgres.aside_name``).
Abandoning gives each of those its place back, exactly as a failed restore does on its
own, then removes the marker and brings the stack up: the stack is as it was before
the restore began. A store with nothing set aside was not touched yet, or the restore
had already finished with it and let its old copy go; it is left as it stands.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from wizard.core.docker.protocol import DirectEngine
from wizard.core.lifecycle import restoremarker as marker
from wizard.core.snapshots import asides, postgres, volumes
from wizard.core.snapshots.events import StorePutBack
from wizard.core.support.errors import ConfigError, PreflightFailed, UsageError
from wizard.core.support.events import Event, Finished, Note
from wizard.core.support.lock import holding_lock


@dataclass(frozen=True)
class Unfinished:
    """A stopped restore as the engine shows it: its marker, and what stands aside now."""

    marker: marker.RestoreMarker
    aside_volumes: tuple[str, ...]  # the volumes (by their own names) whose old files stand aside
    aside_databases: tuple[str, ...] | None  # None when the database server was not asked (not running)

    def to_dict(self) -> dict[str, Any]:
        return {"snapshot": self.marker.snapshot, "started": self.marker.started, "file": str(marker.MARKER),
                "aside_volumes": list(self.aside_volumes),
                "aside_databases": None if self.aside_databases is None else list(self.aside_databases)}


def report(stack, engine: DirectEngine) -> Unfinished | None:
    """The stopped restore of this stack, None when there is none (the marker is read strictly)."""
    pending = marker.read(stack.root)
    if pending is None:
        return None
    noted = {note.volume for note in pending.volumes}
    aside = sorted(volume for volume in asides.aside_volumes(engine.client, engine.project).values()
                   if volume in noted)
    databases: tuple[str, ...] | None = ()
    if pending.databases:
        found = _running_targets(stack, engine)
        if found is None:
            databases = None
        else:
            targets, ids = found
            databases = tuple(note.database for note in pending.databases
                              if (note.service, note.database) in targets
                              and postgres.has_aside(targets[(note.service, note.database)], ids[note.service]))
    return Unfinished(marker=pending, aside_volumes=tuple(aside), aside_databases=databases)


def noted(folder: Path, project: str, client) -> dict[str, Any] | None:
    """For `ls`: another instance's stopped restore, from its marker and the engine (its server is not asked).

    A marker of another shape is shown as its one line rather than stopping the whole listing.
    """
    try:
        pending = marker.read(folder)
    except ConfigError as error:
        return {"problem": error.one_line()}
    if pending is None:
        return None
    held = set(asides.aside_volumes(client, project).values()) if client is not None else set()
    return Unfinished(marker=pending, aside_volumes=tuple(sorted(note.volume for note in pending.volumes
                                                                 if note.volume in held)),
                      aside_databases=None).to_dict()


@holding_lock("snapshot restore --abandon")
def abandon(stack, *, engine: DirectEngine | None = None) -> Iterator[Event]:
    """Give every store a stopped restore set aside its place back; ends with `up` and a Finished."""
    from wizard.core.docker.composeengine import ComposeEngine
    from wizard.core.lifecycle import launch
    from wizard.core.snapshots.restore import databases_up, stop_all_but

    began = time.monotonic()
    pending = marker.read(stack.root)
    if pending is None:
        raise UsageError("no restore of this stack was stopped half way: there is nothing to undo",
                         "`launcher status` shows where the stack stands")
    engine = engine or ComposeEngine(stack)
    engine.ping()
    model = engine.model()
    client = engine.client
    images = {spec.name: spec.image for spec in model.services if spec.image}
    # Checked before anything moves: which volumes the engine shows set aside, and the images to put them back.
    held = set(asides.aside_volumes(client, engine.project).values())
    summaries = None
    plans = []
    for note in pending.volumes:
        if note.volume not in held:
            continue
        image = volumes.helper_image(client, [note.service] if note.service else [], images)
        shell = volumes.shell_image(client, [images.get(note.service, ""), *images.values()]) if note.anonymous else ""
        plans.append((note, image, shell))
    if any(note.anonymous for note, _image, _shell in plans):
        from wizard.core.snapshots.engineview import EngineView

        summaries = EngineView(engine).containers()
    keep_running = {note.service for note in pending.databases}
    yield from stop_all_but(engine, keep_running)
    if pending.databases:
        yield from databases_up(engine, model, keep_running)
        found = _running_targets(stack, engine)
        targets, ids = found if found is not None else ({}, {})
        for note in pending.databases:
            target = targets.get((note.service, note.database))
            if target is None:
                raise PreflightFailed(f"database {note.database} of service {note.service} cannot be reached to "
                                      "put it back", f"see `launcher logs {note.service}`, then run the command again")
            if postgres.has_aside(target, ids[note.service]):
                postgres.put_back(target, ids[note.service])
                yield StorePutBack(kind="database", name=note.database, service=note.service)
    for note, image, shell in plans:
        volume = _now_mounted(note, summaries) if note.anonymous and summaries is not None else note.volume
        if volume == note.volume:
            asides.put_back(client, note.volume, note.key, engine.project, image, shell=shell)
        else:
            _put_back_into(client, note.volume, volume, image, shell)
        yield StorePutBack(kind="volume", name=volume, service=note.service)
    marker.remove(stack.root)
    for event in launch.up(stack, engine=engine):
        yield Note(message=event.summary) if isinstance(event, Finished) else event
    yield Finished(ok=True, elapsed=time.monotonic() - began, summary="", details={"abandoned": pending.snapshot})


def _now_mounted(note: marker.VolumeNote, summaries) -> str:
    """The anonymous volume the note's service mounts at its path now (its container may have been made anew)."""
    try:
        return volumes.anonymous_target({"service": note.service, "mount": note.mount, "name": note.volume}, summaries)
    except PreflightFailed:  # no container holds it: the volume recorded is the one to give the files back
        return note.volume


def _put_back_into(client, recorded: str, volume: str, image: str, shell: str) -> None:
    """An anonymous volume's old files, set aside under the name it had, into the one its container has now."""
    saved = volumes.archive(client, asides.aside_name(recorded), image, path=f"{volumes.ASIDE_MOUNT}{volumes.MOUNT}")
    volumes.refill(client, volume, image, saved, shell=shell)
    asides.drop_aside(client, recorded)


def _running_targets(stack, engine: DirectEngine):
    """(targets by (service, database), container id by service) of the running databases; None when none runs."""
    from wizard.core.values.resolution import current_values

    containers = engine.containers()
    if not any(container.state == "running" for container in containers):
        return None
    try:
        found = postgres.targets(stack, current_values(stack), containers)
    except PreflightFailed:
        return None
    ids = {container.service: container.id for container in containers if container.state == "running"}
    return {(target.service, target.database): target for target in found}, ids
