"""`snapshot restore`: put every store back, then bring the stack up healthy.

The caller verifies the snapshot first (``open_verified``): nothing is touched
until every part is present, whole and of this stack, and the passphrase
opens it. Then: the values (only with ``with_secrets``), every service except
the databases stopped, each volume emptied and refilled, the databases started
and healthy, each dropped and recreated from its dump, and finally the normal
`up` orchestration starts everything in plan order and waits for health. The
seed ledger lives in the database, so it comes back with the data and the seeds
that were applied are not applied again.
"""

from __future__ import annotations

import time
from typing import Iterable, Iterator

from wizard.core.docker.protocol import DirectEngine
from wizard.core.support.errors import PreflightFailed, SnapshotInvalid
from wizard.core.support.events import Event, Finished, Note
from wizard.core.snapshots import manifest as manifests
from wizard.core.snapshots import mongo, postgres, volumes
from wizard.core.snapshots.events import PartDone, PartProgress, RestoreInterrupted, ServicesStopped
from wizard.core.snapshots.progress import Meter
from wizard.core.support.lock import holding_lock

ACTIVE = ("running", "restarting", "paused")


def open_verified(stack, name: str, *, passphrase_for=None, force: bool = False,
                  progress=lambda done, total: None):
    """The snapshot and its key (None when not encrypted), every check passed."""
    snapshot = manifests.load(manifests.locate(stack, name))
    manifests.verify(snapshot, stack, force=force, progress=progress)
    key = None
    if snapshot.encrypted:
        from wizard.core.snapshots.crypto import unlock

        passphrase = passphrase_for(snapshot) if passphrase_for else None
        if not passphrase:
            raise SnapshotInvalid(f"snapshot {snapshot.name} is encrypted and no passphrase was given",
                                  "set LAUNCHER_SNAPSHOT_PASSPHRASE (or run in a terminal to be asked)")
        key = unlock(passphrase, snapshot.manifest["encryption"])
    return snapshot, key


@holding_lock("snapshot restore")
def restore(stack, snapshot, key: bytes | None, *, with_secrets: bool = False, engine: DirectEngine | None = None) -> Iterator[Event]:
    """Restore a verified snapshot; ends with the `up` events and a Finished of its own."""
    from wizard.core.lifecycle import launch
    from wizard.core.docker.composeengine import ComposeEngine

    began = time.monotonic()
    engine = engine or ComposeEngine(stack)
    engine.ping()
    parts = snapshot.parts
    states = {part["name"]: "not started" for part in parts if part.get("kind") != "values" or with_secrets}
    meter = Meter(sum(int(part["size"]) for part in parts if part["name"] in states))
    volume_parts = [part for part in parts if part.get("kind") == "volume"]
    targets_of = _volume_targets(engine, volume_parts) if volume_parts else {}
    try:
        values_part = next((part for part in parts if part.get("kind") == "values"), None)
        if with_secrets and values_part:
            states[values_part["name"]] = "in progress"
            _restore_values(stack, b"".join(_plain(snapshot, values_part, key)), snapshot.name)
            meter.add(int(values_part["size"]))
            states[values_part["name"]] = "restored"
        model = engine.model()
        databases = [part for part in parts if part.get("kind") == "postgres"]
        mongos = [part for part in parts if part.get("kind") == "mongo"]
        keep_running = {part["service"] for part in databases + mongos}
        active = sorted({c.service for c in engine.containers() if c.state in ACTIVE} - keep_running)
        if active:
            engine.run_compose("stop", *active)
            yield ServicesStopped(services=tuple(active), why="restore")

        recorded = snapshot.manifest.get("images") or {}
        for part in volume_parts:
            services = list(part.get("services") or [])
            volume = targets_of[part["name"]]
            with volumes.engine_errors(f"remove the containers using volume {volume}"):
                for container in volumes.in_use_by(engine.client, volume, engine.project):
                    container.remove(force=True)
            states[part["name"]] = "in progress"
            image = volumes.helper_image(engine.client, services, recorded)
            yield from _restore_part(part, meter, lambda chunks: volumes.replace(
                engine.client, volume, part.get("key", ""), engine.project, image, chunks), snapshot, key)
            states[part["name"]] = "restored"

        if databases or mongos:
            from wizard.core.values.resolution import current_values

            specs = [spec for spec in model.services if spec.name in keep_running]
            yield from launch.bring_up(engine, model, specs, list(dict.fromkeys(s.group for s in specs)))
            containers = engine.containers()
            targets = {(t.service, t.database): t
                       for t in (postgres.targets(stack, current_values(stack), containers) if databases else [])}
            ids = {c.service: c.id for c in containers if c.state == "running"}
            for part in databases:
                target = targets.get((part["service"], part["database"]))
                if target is None:
                    raise PreflightFailed(f"this stack has no postgres-seeds step for database {part['database']} "
                                          f"in service {part['service']}", "restore into the stack it was taken from")
                states[part["name"]] = "in progress"
                yield from _restore_part(part, meter, lambda chunks: postgres.restore(target, ids[target.service],
                                                                                    chunks), snapshot, key)
                states[part["name"]] = "restored"
            uris = dict(mongo.uris(stack, current_values(stack)))
            for part in mongos:
                uri = uris.get(part["step"])
                if uri is None:
                    raise PreflightFailed(f"this stack has no Mongo step {part['step']} to restore into",
                                          "restore into the stack it was taken from")
                states[part["name"]] = "in progress"
                yield from _restore_part(part, meter, lambda chunks: mongo.restore(uri, chunks), snapshot, key)
                states[part["name"]] = "restored"
        for event in launch.up(stack, engine=engine):
            # up's own summary is one line of ours; the restore's Finished comes last.
            yield Note(message=event.summary) if isinstance(event, Finished) else event
    except KeyboardInterrupt:
        yield RestoreInterrupted(states=dict(states), snapshot=snapshot.name)
        raise
    yield Finished(ok=True, elapsed=time.monotonic() - began, summary="",
                   details={"name": snapshot.name, "restored": [name for name, state in states.items()
                                                                if state == "restored"]})


def _restore_part(part, meter: Meter, consume, snapshot, key) -> Iterator[Event]:
    """Feed one part to its consumer in a worker thread, yielding progress as the bytes go."""
    import queue
    import threading

    events: queue.Queue = queue.Queue()
    failure: list[BaseException] = []
    total = int(part["size"])
    yield PartProgress(action="restore", part=part["name"], percent=meter.percent, done=0, total=total)

    def chunks() -> Iterable[bytes]:
        done = 0
        for data in _plain(snapshot, part, key, raw_counter=lambda n: meter.add(n) and events.put(done)):
            done += len(data)
            yield data

    def work() -> None:
        try:
            consume(chunks())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            failure.append(exc)
        events.put(None)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    while (done := events.get()) is not None:
        yield PartProgress(action="restore", part=part["name"], percent=meter.percent, done=done, total=total)
    worker.join()
    if failure:
        raise failure[0]
    yield PartDone(action="restore", part=part["name"], percent=meter.percent, size=int(part["size"]))


def _plain(snapshot, part, key, raw_counter=lambda n: None) -> Iterator[bytes]:
    """A part's bytes as saved, decrypted when the snapshot is encrypted."""
    def stored() -> Iterator[bytes]:
        for data in snapshot.read(part):
            raw_counter(len(data))
            yield data

    if key is None:
        return stored()
    from wizard.core.snapshots.crypto import decrypt_stream

    return decrypt_stream(key, part["name"], stored())


def _volume_targets(engine: DirectEngine, parts) -> dict[str, str]:
    """Each volume part's volume in this project, checked before anything changes.

    SnapshotInvalid for a part whose volume is not this project's; PreflightFailed when
    a container of another project mounts it (it could not be replaced under it).
    """
    own = volumes.own_volumes(engine)
    targets = {part["name"]: volumes.restore_target(part, own, engine.project) for part in parts}
    for volume in targets.values():
        users = volumes.foreign_users(engine.client, volume, engine.project)
        if users:
            raise PreflightFailed(f"volume {volume} is also mounted by {', '.join(users)}, outside compose project "
                                  f"{engine.project}", "remove those containers first; nothing was changed")
    return targets


def _restore_values(stack, data: bytes, snapshot_name: str) -> None:
    """The snapshot's declared values become this stack's: checked in memory, written with backups.

    Names the stack does not declare are dropped; write_outputs backs up the old
    store and renders every env file only after everything checked out.
    """
    from wizard.core.values.envfiles import parse_env_text, write_outputs
    from wizard.core.support.errors import EnvFileError
    from wizard.core.support.lock import stack_lock

    shown = f"{snapshot_name}/values.env"
    try:
        parsed = parse_env_text(data.decode("utf-8"), shown)
    except (UnicodeDecodeError, EnvFileError) as exc:
        reason = (f"{exc.where}: {exc.message}" if isinstance(exc, EnvFileError) and exc.where
                  else getattr(exc, "message", "it is not UTF-8 text"))
        raise SnapshotInvalid(f"the values of snapshot {snapshot_name} cannot be read: {reason}",
                              "nothing was changed; restore without --with-secrets or use another snapshot") from None
    declared = stack.value_names
    with stack_lock(stack.root, "snapshot restore"):
        write_outputs(stack, {name: value for name, value in parsed.values.items() if name in declared})
