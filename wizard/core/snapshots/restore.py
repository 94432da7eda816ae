"""`snapshot restore`: put every store back, then bring the stack up healthy.

The caller verifies the snapshot first (``open_verified``): nothing is touched
until every part is present, whole and of this stack, and the passphrase
opens it. Then every volume archive is read through (``archivecheck``: no member
may reach outside its volume, none may be cut short) and every helper image is
chosen (an anonymous volume's emptying is tried once) before any store changes.
Then the marker (``lifecycle.restoremarker``) is written: until it goes, `up` refuses.
Then: the values (only with ``with_secrets``), every service except the databases
stopped, the databases started and healthy, each restored under its name while the
old one is kept aside (``staging.Replacement``), each volume copied aside
(``asides``) then emptied and refilled, the old copies dropped, the marker removed,
and finally the normal `up` orchestration starts everything in plan order and waits
for health. If anything fails before that, every store set aside gets its place back
and `up` brings the stack back as it was. A process killed half way leaves the marker
and what it set aside: a rerun finishes, ``unfinished.abandon`` undoes. The seed
ledger lives in the database, so it comes back with the data and the seeds that
were applied are not applied again. MongoDB is not staged (dropped and restored in place).
"""
from __future__ import annotations

import time
from typing import Generator, Iterable, Iterator

from wizard.core.docker.protocol import DirectEngine
from wizard.core.support.errors import PreflightFailed, SnapshotInvalid
from wizard.core.support.events import Event, Finished, Note
from wizard.core.snapshots import manifest as manifests
from wizard.core.lifecycle import restoremarker as marker
from wizard.core.snapshots import asides, mongo, postgres, volumes
from wizard.core.snapshots.archivecheck import check_archive
from wizard.core.snapshots.engineview import EngineView
from wizard.core.snapshots.events import PartDone, PartProgress, RestoreInterrupted, ServicesStopped
from wizard.core.snapshots.progress import Meter
from wizard.core.snapshots.staging import Replacement
from wizard.core.support.lock import holding_lock

ACTIVE = ("running", "restarting", "paused")


def open_verified(stack, name: str, *, passphrase_for=None, force: bool = False, allow_unencrypted: bool = False,
                  progress=lambda done, total: None):
    """The snapshot and its key (None when not encrypted), every check passed.

    An encrypted snapshot's manifest must carry the MAC of its passphrase; a stack that
    saves encrypted snapshots takes an unencrypted one only with ``allow_unencrypted``
    (its encryption may have been stripped).
    """
    snapshot = manifests.load(manifests.locate(stack, name))
    if not snapshot.encrypted and not allow_unencrypted and manifests.encrypting(stack):
        raise SnapshotInvalid(f"snapshot {snapshot.name} is not encrypted, and this stack encrypts its snapshots "
                              "(its encryption may have been stripped)",
                              "pass --allow-unencrypted if you know where it comes from; nothing was changed")
    manifests.verify(snapshot, stack, force=force, progress=progress)
    key = None
    if snapshot.encrypted:
        from wizard.core.snapshots.crypto import check_manifest_mac, unlock

        passphrase = passphrase_for(snapshot) if passphrase_for else None
        if not passphrase:
            raise SnapshotInvalid(f"snapshot {snapshot.name} is encrypted and no passphrase was given",
                                  "set LAUNCHER_SNAPSHOT_PASSPHRASE (or run in a terminal to be asked)")
        key = unlock(passphrase, snapshot.manifest["encryption"])
        check_manifest_mac(key, snapshot.manifest, snapshot.name)
    return snapshot, key


@holding_lock("snapshot restore")
def restore(stack, snapshot, key: bytes | None, *, with_secrets: bool = False, engine: DirectEngine | None = None) -> Iterator[Event]:
    """Restore a verified snapshot; ends with the `up` events and a Finished of its own."""
    from wizard.core.lifecycle import launch
    from wizard.core.docker.composeengine import ComposeEngine

    began = time.monotonic()
    pending = marker.read(stack.root)
    if pending is not None and pending.snapshot != snapshot.name:
        raise PreflightFailed(f"a restore of snapshot {pending.snapshot} was stopped half way ({marker.MARKER})",
                              f"finish it with `launcher snapshot restore {pending.snapshot}` or undo it with "
                              "`launcher snapshot restore --abandon` first; nothing was changed")
    engine = engine or ComposeEngine(stack)
    engine.ping()
    parts = snapshot.parts
    states = {part["name"]: "not started" for part in parts if part.get("kind") != "values" or with_secrets}
    meter = Meter(sum(int(part["size"]) for part in parts if part["name"] in states))
    volume_parts = [part for part in parts if part.get("kind") == "volume"]
    targets_of = _volume_targets(engine, volume_parts) if volume_parts else {}
    for part in volume_parts:
        check_archive(_plain(snapshot, part, key), volumes.MOUNT.strip("/"),
                      f"part {part['name']} of snapshot {snapshot.name}")
    model = engine.model()
    recorded = snapshot.manifest.get("images") or {}
    images = {spec.name: spec.image for spec in model.services if spec.image}
    helpers = {part["name"]: volumes.helper_image(engine.client, list(part.get("services") or []), {**images, **recorded})
               for part in volume_parts}
    shells = {part["name"]: volumes.shell_image(engine.client, [images.get(part.get("service", ""), ""),
                                                                *images.values()])
              for part in volume_parts if part.get("anonymous")}
    databases = [part for part in parts if part.get("kind") == "postgres"]
    mongos = [part for part in parts if part.get("kind") == "mongo"]
    # Every check passed: from here on the stack may be half restored until this marker goes.
    marker.write(stack.root, marker.RestoreMarker(
        snapshot=snapshot.name, started=pending.started if pending else _now(),
        databases=tuple(marker.DatabaseNote(service=str(part["service"]), database=str(part["database"]))
                        for part in databases),
        volumes=tuple(marker.VolumeNote(volume=targets_of[part["name"]], key=str(part.get("key") or ""),
                                        anonymous=bool(part.get("anonymous")), service=str(part.get("service") or ""),
                                        mount=str(part.get("mount") or "")) for part in volume_parts)))
    replacement = Replacement()
    stopped: list[str] = []
    committed = False
    try:
        values_part = next((part for part in parts if part.get("kind") == "values"), None)
        if with_secrets and values_part:
            states[values_part["name"]] = "in progress"
            _restore_values(stack, b"".join(_plain(snapshot, values_part, key)), snapshot.name)
            meter.add(int(values_part["size"]))
            states[values_part["name"]] = "restored"
        keep_running = {part["service"] for part in databases + mongos}
        stopped = yield from stop_all_but(engine, keep_running)

        if databases or mongos:
            from wizard.core.values.resolution import current_values

            yield from databases_up(engine, model, keep_running)
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
                yield from _restore_part(part, meter, lambda chunks: replacement.database(
                    target, ids[target.service], chunks), snapshot, key)
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

        client = engine.client
        for part in volume_parts:
            volume, image, shell = targets_of[part["name"]], helpers[part["name"]], shells.get(part["name"], "")
            key_ = str(part.get("key") or "")
            if shell or volumes.exists(client, volume):
                # Like reset: the volume's files are copied aside first, put back if anything fails.
                replacement.add(lambda volume=volume, image=image: asides.copy_aside(client, volume, image,
                                                                                     engine.project),
                                lambda volume=volume, image=image, shell=shell, key_=key_: asides.put_back(
                                    client, volume, key_, engine.project, image, shell=shell),
                                lambda volume=volume: asides.drop_aside(client, volume))
            else:
                # Nothing to set aside (copying it would have the engine make it, without compose's
                # labels): the restore makes it, labelled, and a failed restore removes it again.
                replacement.add(lambda: None,
                                lambda volume=volume: volumes.remove(client, volume, engine.project, missing_ok=True),
                                lambda: None)
            if shell:
                def fill(chunks, volume=volume, image=image, shell=shell):
                    volumes.refill(client, volume, image, chunks, shell=shell)
            else:
                with volumes.engine_errors(f"remove the containers using volume {volume}"):
                    for container in volumes.in_use_by(client, volume, engine.project):
                        container.remove(force=True)

                def fill(chunks, volume=volume, image=image, key_=key_):
                    volumes.replace(client, volume, key_, engine.project, image, chunks)
            states[part["name"]] = "in progress"
            yield from _restore_part(part, meter, fill, snapshot, key)
            states[part["name"]] = "restored"
        replacement.commit()
        committed = True
        marker.remove(stack.root)
        for event in launch.up(stack, engine=engine):
            # up's own summary is one line of ours; the restore's Finished comes last.
            yield Note(message=event.summary) if isinstance(event, Finished) else event
    except KeyboardInterrupt:
        yield RestoreInterrupted(states=dict(states), snapshot=snapshot.name)
        raise
    except Exception:
        if not committed:
            _back_as_it_was(stack, engine, replacement, stopped)
        raise
    yield Finished(ok=True, elapsed=time.monotonic() - began, summary="",
                   details={"name": snapshot.name, "restored": [name for name, state in states.items()
                                                                if state == "restored"]})


def _now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def stop_all_but(engine: DirectEngine, keep_running: set[str]) -> Generator[Event, None, list[str]]:
    """Stop every active service but the databases (their stores are replaced under them); returns those stopped."""
    active = sorted({c.service for c in engine.containers() if c.state in ACTIVE} - keep_running)
    if active:
        engine.run_compose("stop", *active)
        yield ServicesStopped(services=tuple(active), why="restore")
    return active


def databases_up(engine: DirectEngine, model, services: set[str]) -> Iterator[Event]:
    from wizard.core.lifecycle import launch

    specs = [spec for spec in model.services if spec.name in services]
    yield from launch.bring_up(engine, model, specs, list(dict.fromkeys(s.group for s in specs)))


def _back_as_it_was(stack, engine: DirectEngine, replacement: Replacement, stopped: list[str]) -> None:
    """After a failed restore: every store set aside back in its place, the marker gone, the stack up again.

    The caller re-raises the restore's own failure, the one line the user sees; a failure
    here is secondary to it: what could not be put back stays aside, the marker stays, and
    `up` names the two ways out (a rerun, or --abandon).
    """
    from wizard.core.lifecycle import launch

    if replacement.rollback():
        return
    marker.remove(stack.root)
    if stopped:
        try:
            for _event in launch.up(stack, engine=engine):
                pass
        except Exception:  # noqa: BLE001 - the restore's own failure is what gets reported
            pass


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
    summaries = EngineView(engine).containers() if any(part.get("anonymous") for part in parts) else []
    targets = {part["name"]: volumes.anonymous_target(part, summaries) if part.get("anonymous")
               else volumes.restore_target(part, own, engine.project) for part in parts}
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
