"""`snapshot save`: every store of the stack into one verified snapshot folder.

Order: the services no dump and no volume covers are named (their container's own
files are not saved), then the logical database dumps (their servers keep running),
then every other volume of the project's containers, named and anonymous, each copied while the services writing it are stopped
(unless ``online``) and started again afterwards, then the value store. The
manifest is written last and the temp folder renamed into place, so a failure
anywhere (a full disk, Ctrl-C) leaves no snapshot under the name.
"""

from __future__ import annotations

import errno
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

from wizard.core.docker.pgdata import PGDATA
from wizard.core.docker.protocol import DirectEngine
from wizard.core.support.events import Event, Finished
from wizard.core.snapshots import manifest as manifests
from wizard.core.snapshots import mongo, postgres, volumes
from wizard.core.snapshots.engineview import EngineView
from wizard.core.snapshots.events import (PartDone, PartProgress, ServicesNotCovered, ServicesStopped,
                                          SnapshotsPruned)
from wizard.core.lifecycle.restoremarker import refuse_if_unfinished
from wizard.core.support.lock import holding_lock

MONGO_DATA = ("/data/db", "/data/configdb")
# Errors that mean "this disk will not take the snapshot", not a bug.
NO_ROOM = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EROFS, errno.EACCES}


@holding_lock("snapshot save")
def save(stack, *, name: str | None = None, to: str | None = None, passphrase: str | None = None,
         online: bool = False, keep: int | None = None, engine: DirectEngine | None = None) -> Iterator[Event]:
    """Write a snapshot; yields progress events and ends with Finished (details: path, parts, size)."""
    import time

    from wizard import __version__
    from wizard.core.docker.composeengine import ComposeEngine
    from wizard.core.docker.containers import container_from_summary
    from wizard.core.values.envfiles import store_path
    from wizard.core.values.resolution import current_values

    began = time.monotonic()
    refuse_if_unfinished(stack.root)  # a half-restored stack would be saved as a mix of two states
    values = current_values(stack)
    engine = engine or ComposeEngine(stack)
    engine.ping()
    view = EngineView(engine)
    summaries = view.containers()
    containers = [container_from_summary(summary) for summary in summaries]
    running = {c.service: c for c in containers if c.state == "running"}
    databases = postgres.targets(stack, values, containers)
    mongos = _mongo_targets(stack, values, containers)
    covered = _data_volumes(view, databases, running) | _mongo_volumes(summaries, mongos)
    uses = [use for use in volumes.in_project(view.volumes(), summaries) if use.name not in covered]
    images = {(s.get("Labels") or {}).get(volumes.SERVICE_LABEL, ""): s.get("ImageID", "") for s in summaries}
    # Said before anything is written: the user must not believe these are in the snapshot.
    uncovered = _without_volume(summaries, {target.service for target in databases} | {s for _, s, _ in mongos})
    if uncovered:
        yield ServicesNotCovered(services=tuple(uncovered))

    folder = Path(to) if to else manifests.snapshots_dir(stack) / manifests.check_name(name or manifests.default_name())
    writer = manifests.PartWriter(folder, None if to else stack.root)
    key, encryption = (None, None)
    if passphrase is not None:
        from wizard.core.snapshots.crypto import new_encryption

        key, encryption = new_encryption(passphrase)
    total = len(databases) + len(mongos) + len(uses) + 1
    done_parts = 0
    try:
        for target in databases:
            yield from _write(writer, target.part_name, postgres.dump(target, running[target.service].id),
                              key, done_parts, total, target.about())
            done_parts += 1
        for step, service, uri in mongos:
            yield from _write(writer, mongo.part_name(service), mongo.dump(uri), key, done_parts, total,
                              {"kind": "mongo", "service": service, "step": step})
            done_parts += 1
        if uses:
            client = engine.client
            writers = sorted({service for use in uses for service in use.services if service in running})
            stopped = [] if online else writers
            if stopped:
                engine.run_compose("stop", *stopped)
                yield ServicesStopped(services=tuple(stopped), why="save")
            try:
                for use in uses:
                    image = volumes.helper_image(client, use.services, images)
                    about = use.about()
                    yield from _write(writer, use.part_name, volumes.archive(client, use.name, image), key,
                                      done_parts, total, about)
                    done_parts += 1
            except BaseException:
                _start_quietly(engine, stopped)
                raise
            if stopped:
                yield from _start_again(engine, stopped)
        store = store_path(stack)
        yield from _write(writer, "values.env", [store.read_bytes()], key, done_parts, total,
                          {"kind": "values", "holds_secrets": True})
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        manifest = {"format": manifests.FORMAT, "launcher": __version__, "stack": stack.name,
                    "stack_manifest_sha256": manifests.file_sha256(stack), "created": created,
                    "encryption": encryption, "online": online,
                    "images": {service: images.get(service) for service in sorted(running)}}
        final = writer.commit(manifest, key=key)
        if key is not None:
            manifests.mark_encrypting(stack)
    except OSError as exc:
        writer.abandon()
        if exc.errno not in NO_ROOM:
            raise
        raise postgres.SnapshotStepFailed(f"could not write snapshot {folder.name} in {folder.parent}: "
                                          f"{exc.strerror}", "free some space or save elsewhere with --to PATH; "
                                          "nothing was kept under the name") from None
    except BaseException:
        writer.abandon()
        raise
    removed = manifests.prune(stack, keep) if keep is not None else []
    if removed:
        yield SnapshotsPruned(names=tuple(removed))
    snapshot = manifests.load(final)
    yield Finished(ok=True, elapsed=time.monotonic() - began, summary="",
                   details={"name": snapshot.name, "path": str(final), "size": snapshot.size,
                            "parts": [part["name"] for part in snapshot.parts], "encrypted": snapshot.encrypted,
                            "removed": removed})


def _write(writer, name: str, chunks: Iterable[bytes], key: bytes | None, done_parts: int, total: int,
           about: dict) -> Iterator[Event]:
    if key is not None:
        from wizard.core.snapshots.crypto import encrypt_stream

        chunks = encrypt_stream(key, name, chunks)
    percent = done_parts * 100 // total
    yield PartProgress(action="save", part=name, percent=percent, done=0)
    part = writer.open(name)
    shown = 0
    for data in chunks:
        part.write(data)
        if part.size - shown >= 8 << 20:  # a line per 8 MB keeps a big dump visibly moving
            shown = part.size
            yield PartProgress(action="save", part=name, percent=percent, done=part.size)
    entry = part.close(encrypted=key is not None, **about)
    yield PartDone(action="save", part=name, percent=(done_parts + 1) * 100 // total, size=entry["size"])


def _without_volume(summaries, dumped: set[str]) -> list[str]:
    """Services of the project that no dump covers and that mount no volume: whatever they keep is not saved."""
    services: dict[str, bool] = {}
    for summary in summaries:
        service = (summary.get("Labels") or {}).get(volumes.SERVICE_LABEL, "")
        has_volume = any(mount.get("Type") == "volume" for mount in summary.get("Mounts") or [])
        services[service] = services.get(service, False) or has_volume
    return sorted(service for service, has_volume in services.items()
                  if service and not has_volume and service not in dumped)


def _mongo_targets(stack, values, containers) -> list[tuple[str, str, str]]:
    """(step, service, uri) of each MongoDB server the stack's Mongo steps connect to."""
    from wizard.core.support.errors import PreflightFailed

    found = []
    for step, uri in mongo.uris(stack, values):
        host, port = mongo.host_port(uri)
        service, _inner = postgres.serving(containers, host, port)
        if service is None:
            raise PreflightFailed(f"the MongoDB of step {step} ({host}:{port}) is not running in this stack",
                                  "start it with `launcher up`, then run the command again")
        found.append((step, service, uri))
    return found


def _mongo_volumes(summaries, mongos) -> set[str]:
    """The Mongo services' data volumes: the Extended JSON dump covers them."""
    services = {service for _, service, _ in mongos}
    return {mount.get("Name") for summary in summaries
            if (summary.get("Labels") or {}).get(volumes.SERVICE_LABEL) in services
            for mount in summary.get("Mounts") or []
            if mount.get("Type") == "volume" and str(mount.get("Destination", "")).rstrip("/") in MONGO_DATA}


def _data_volumes(view, databases, running) -> set[str]:
    """Volumes holding a dumped database's files: the logical dump already covers them."""
    covered = set()
    for target in databases:
        attrs = view.inspect(running[target.service].id)
        env = dict(item.split("=", 1) for item in (attrs.get("Config") or {}).get("Env") or [] if "=" in item)
        data = env.get("PGDATA", PGDATA).rstrip("/")
        for mount in attrs.get("Mounts") or []:
            destination = str(mount.get("Destination", "")).rstrip("/")
            if mount.get("Type") == "volume" and (data == destination or data.startswith(destination + "/")):
                covered.add(mount.get("Name"))
    return covered


def _start_again(engine: DirectEngine, services) -> Iterator[Event]:
    from wizard.core.lifecycle.launch import bring_up

    model = engine.model()
    specs = [spec for spec in model.services if spec.name in services]
    groups = list(dict.fromkeys(spec.group for spec in specs))
    yield from bring_up(engine, model, specs, groups, pull="never")


def _start_quietly(engine: DirectEngine, services) -> None:
    """After a failure: start what we stopped, without waiting (the error is what the user needs)."""
    if services:
        try:
            engine.run_compose("start", *services, check=False)
        except Exception:  # noqa: BLE001 - best effort while another error is on its way out
            pass
