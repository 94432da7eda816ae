"""`snapshot save`: every store of the stack into one verified snapshot folder.

Order: the logical database dumps first (their servers keep running), then the
other named volumes, each copied while the services writing it are stopped
(unless ``online``) and started again afterwards, then the value store. The
manifest is written last and the temp folder renamed into place, so a failure
anywhere (a full disk, Ctrl-C) leaves no snapshot under the name.
"""

from __future__ import annotations

import errno
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

from wizard.core.events import Event, Finished, Note
from wizard.core.snapshots import manifest as manifests
from wizard.core.snapshots import postgres, volumes
from wizard.core.snapshots.events import PartDone, PartProgress, ServicesStopped

PGDATA = "/var/lib/postgresql/data"
# Errors that mean "this disk will not take the snapshot", not a bug.
NO_ROOM = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EROFS, errno.EACCES}


def save(stack, *, name: str | None = None, to: str | None = None, passphrase: str | None = None,
         online: bool = False, keep: int | None = None, engine=None) -> Iterator[Event]:
    """Write a snapshot; yields progress events and ends with Finished (details: path, parts, size)."""
    import time

    from wizard import __version__
    from wizard.core.engine import Engine
    from wizard.core.envfiles import store_path
    from wizard.core.values import current_values

    began = time.monotonic()
    values = current_values(stack)
    engine = engine or Engine(stack)
    engine.ping()
    client = engine.client
    containers = engine.containers()
    running = {c.service: c for c in containers if c.state == "running"}
    databases = postgres.targets(stack, values, containers)
    covered = _data_volumes(client, databases, running)
    present = volumes.existing(client, engine.project)
    declared = volumes.declared(volumes.compose_config(engine), engine.project)
    uses = [use for use_name, use in sorted(declared.items())
            if use_name in present and use_name not in covered]
    images = _images(client, engine.project)

    folder = Path(to) if to else manifests.snapshots_dir(stack) / manifests.check_name(name or manifests.default_name())
    writer = manifests.PartWriter(folder)
    key, encryption = (None, None)
    if passphrase is not None:
        from wizard.core.snapshots.crypto import new_encryption

        key, encryption = new_encryption(passphrase)
    total = len(databases) + len(uses) + 1
    done_parts = 0
    try:
        for target in databases:
            yield from _write(writer, target.part_name, postgres.dump(target, running[target.service].id),
                              key, done_parts, total, target.about())
            done_parts += 1
        if uses:
            writers = sorted({service for use in uses for service in use.services if service in running})
            stopped = [] if online else writers
            if stopped:
                engine.run_compose("stop", *stopped)
                yield ServicesStopped(services=tuple(stopped), why="save")
            try:
                for use in uses:
                    image = volumes.helper_image(client, use.services, images)
                    about = {"kind": "volume", "volume": use.name, "key": use.key, "services": use.services}
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
                    "images": {service: images.get(service + "@id") for service in sorted(running)}}
        final = writer.commit(manifest)
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
        yield Note(message="removed old snapshot(s): " + ", ".join(removed))
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


def _data_volumes(client, databases, running) -> set[str]:
    """Volumes holding a dumped database's files: the logical dump already covers them."""
    covered = set()
    for target in databases:
        attrs = client.api.inspect_container(running[target.service].id)
        env = dict(item.split("=", 1) for item in (attrs.get("Config") or {}).get("Env") or [] if "=" in item)
        data = env.get("PGDATA", PGDATA).rstrip("/")
        for mount in attrs.get("Mounts") or []:
            destination = str(mount.get("Destination", "")).rstrip("/")
            if mount.get("Type") == "volume" and (data == destination or data.startswith(destination + "/")):
                covered.add(mount.get("Name"))
    return covered


def _images(client, project: str) -> dict[str, str]:
    """service -> image name, and service@id -> image id, of every container of the project."""
    found: dict[str, str] = {}
    for summary in client.api.containers(all=True, filters={"label": f"{volumes.PROJECT_LABEL}={project}"}):
        service = (summary.get("Labels") or {}).get("com.docker.compose.service", "")
        found.setdefault(service, summary.get("Image", ""))
        found.setdefault(service + "@id", summary.get("ImageID", ""))
    return found


def _start_again(engine, services) -> Iterator[Event]:
    from wizard.core.launch import bring_up

    model = engine.model()
    specs = [spec for spec in model.services if spec.name in services]
    groups = list(dict.fromkeys(spec.group for spec in specs))
    yield from bring_up(engine, model, specs, groups, pull="never")


def _start_quietly(engine, services) -> None:
    """After a failure: start what we stopped, without waiting (the error is what the user needs)."""
    if services:
        try:
            engine.run_compose("start", *services, check=False)
        except Exception:  # noqa: BLE001 - best effort while another error is on its way out
            pass
