"""One archive of every image a stack needs, to carry it to a machine without a registry.

The archive is a plain tar with two members:

- ``images.tar``: what `docker save` writes for all the images at once (shared
  layers stored once), so ``tar -xOf FILE images.tar | docker load`` works by hand;
- ``launcher-images.json``: the manifest: each image's name, id, registry digest
  and size, and the size and sha256 of ``images.tar``.

``save`` streams the engine's export straight into the archive, hashing as it
goes: it writes a placeholder tar header, the data, then goes back and writes
the real header once the size is known (one pass, no second copy on disk). The
archive appears under its name only once complete (temp file, fsync, rename).
``load`` checks the manifest and the sha256 of every byte before the engine
sees any of them, then loads, then checks each image is there with its id.
The sha256 guards against damage in transit, not against someone who rewrites
the manifest too.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import threading
import time
from pathlib import Path
from typing import Any, Iterator, Sequence

from wizard.core.support.errors import BundleInvalid, ImagesUnavailable, UsageError
from wizard.core.support.events import Event, ImageDone, ImageProgress, ImagesStarted
from wizard.core.images.inventory import NeededImage
from wizard.core.docker.imagestore import ImageStore

FORMAT = "launcher-images/1"
MANIFEST = "launcher-images.json"
IMAGES = "images.tar"
BLOCK = 512
PROGRESS_EVERY = 0.5
# A manifest lists a stack's images: a few KiB. Anything near this is not one (and is not read).
MANIFEST_MOST = 4 << 20


def save(store: ImageStore, needed: Sequence[NeededImage], target: Path, *, stack: str,
         clock=time.monotonic) -> Iterator[Event]:
    """Write every needed image into ``target``; yields progress; returns the manifest."""
    missing = [item.image for item in needed if not item.present]
    if missing:
        raise ImagesUnavailable(f"{len(missing)} image(s) not on this machine: {', '.join(missing)}",
                                "run `launcher images pull` (and `launcher up` for the ones it builds) first")
    if not needed:
        raise UsageError("this stack needs no image with the active profiles", "nothing to save")
    target = Path(target)
    if target.is_dir():
        raise UsageError(f"{target} is a folder", "give the archive's file name, e.g. images.tar")
    if not target.parent.is_dir():
        raise UsageError(f"folder {target.parent} does not exist", "create it first, or pick another path")
    references = [item.image for item in needed]
    # docker save writes each layer uncompressed: the images' sizes are a close estimate.
    estimate = sum({item.local.id: item.local.size for item in needed if item.local}.values())
    yield ImagesStarted(action="save", images=tuple(references), total=estimate)
    began = clock()
    temp = target.with_name(f".{target.name}.{os.getpid()}.partial")
    digest, size = hashlib.sha256(), 0
    try:
        with open(temp, "wb") as file:
            os.fchmod(file.fileno(), 0o600)
            file.write(b"\0" * BLOCK)  # the real header goes here once the size is known
            last = 0.0
            for chunk in store.save(references):
                file.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                now = clock()
                if now - last >= PROGRESS_EVERY:
                    last = now
                    yield _progress("save", target.name, size, max(estimate, size), cap=99)
            file.write(b"\0" * (-size % BLOCK))
            manifest = {
                "format": FORMAT, "stack": stack,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "images": [{"image": item.image, "id": item.local.id, "digest": item.digest or None,
                            "size": item.local.size} for item in needed if item.local],
                "archive": {"member": IMAGES, "size": size, "sha256": digest.hexdigest()},
            }
            body = json.dumps(manifest, indent=2).encode() + b"\n"
            file.write(_header(MANIFEST, len(body)) + body + b"\0" * (-len(body) % BLOCK))
            file.write(b"\0" * (BLOCK * 2))  # end of archive
            file.seek(0)
            file.write(_header(IMAGES, size))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, target)
    finally:
        if temp.exists():
            temp.unlink()
    yield _progress("save", target.name, size, size)
    yield ImageDone(action="save", image=str(target), size=size, elapsed=round(clock() - began, 2))
    return manifest


def _header(name: str, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(time.time())
    header = info.tobuf(format=tarfile.GNU_FORMAT)
    assert len(header) == BLOCK  # a short name and GNU's base-256 sizes always fit one block
    return header


def _progress(action: str, name: str, current: int, total: int, cap: int = 100) -> ImageProgress:
    percent = min(cap, current * 100 // total) if total else 0
    return ImageProgress(action=action, image=name, current=current, total=total, overall_current=current,
                         overall_total=total, percent=percent)


# --------------------------------------------------------------------------- load


def regular_member(archive: tarfile.TarFile, name: str, source: Path, *, most: int | None = None) -> tarfile.TarInfo:
    """The member ``name``, refused before a byte of it is read unless it is a plain file (not a
    link, which would read another member or nothing) of at most ``most`` bytes."""
    try:
        member = archive.getmember(name)
    except KeyError:
        raise BundleInvalid(f"{source}: {name} is missing", "copy the archive again") from None
    except (tarfile.TarError, OSError) as error:
        raise BundleInvalid(f"{source} is not a whole image archive ({error})",
                            "the archive is damaged: copy it again from the machine that saved it") from None
    if not member.isfile():
        raise BundleInvalid(f"{source}: {name} is not a plain file (a link or a folder)",
                            "use an archive written by `launcher images save FILE`")
    if most is not None and member.size > most:
        raise BundleInvalid(f"{source}: {name} is {member.size} bytes, more than a manifest can be ({most})",
                            "use an archive written by `launcher images save FILE`")
    return member


def read_manifest(archive: tarfile.TarFile, source: Path) -> dict[str, Any]:
    """The archive's manifest, checked for shape; BundleInvalid naming what is wrong."""
    member = regular_member(archive, MANIFEST, source, most=MANIFEST_MOST)
    try:
        manifest = json.loads(archive.extractfile(member).read())  # type: ignore[union-attr]
    except (AttributeError, ValueError, tarfile.TarError) as error:
        raise BundleInvalid(f"{source}: no readable {MANIFEST} ({error})",
                            "use an archive written by `launcher images save FILE`") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleInvalid(f"{source}: unknown archive format {manifest.get('format') if isinstance(manifest, dict) else '?'!r}",
                            f"this launcher reads {FORMAT}; save the archive again with this version")
    archive_info = manifest.get("archive") or {}
    images = manifest.get("images")
    if not isinstance(images, list) or not all(isinstance(i, dict) and i.get("image") and i.get("id") for i in images) \
            or not isinstance(archive_info.get("sha256"), str) or not isinstance(archive_info.get("size"), int):
        raise BundleInvalid(f"{source}: {MANIFEST} is incomplete (images, archive size or sha256 missing)",
                            "save the archive again with `launcher images save FILE`")
    return manifest


def load(store: ImageStore, source: Path, *, clock=time.monotonic) -> Iterator[Event]:
    """Verify ``source`` whole, then load it into the engine; yields progress; returns the manifest."""
    source = Path(source)
    if not source.is_file():
        raise UsageError(f"no file {source}", "give the path of an archive written by `launcher images save FILE`")
    try:
        archive = tarfile.open(source, mode="r:")
    except (tarfile.TarError, OSError) as error:
        raise BundleInvalid(f"{source} is not an image archive ({error})",
                            "use an archive written by `launcher images save FILE`") from None
    with archive:
        manifest = read_manifest(archive, source)
        expected = manifest["archive"]
        member = regular_member(archive, IMAGES, source)
        if member.size != expected["size"]:
            raise BundleInvalid(f"{source}: {IMAGES} is {member.size} bytes, the manifest says {expected['size']}",
                                "the archive is damaged: copy it again from the machine that saved it")
        references = tuple(item["image"] for item in manifest["images"])
        yield ImagesStarted(action="verify", images=references, total=member.size)
        digest = yield from _hash(archive, member, source, clock)
        if digest != expected["sha256"]:
            raise BundleInvalid(f"{source}: {IMAGES} does not match the sha256 in its manifest",
                                "the archive is damaged: copy it again from the machine that saved it")
        yield ImagesStarted(action="load", images=references, total=member.size)
        began = clock()
        reader = _CountingReader(archive.extractfile(member), member.size)
        outcome: dict[str, Any] = {}

        def send() -> None:
            try:
                outcome["messages"] = store.load(reader)
            except Exception as error:  # noqa: BLE001 - reported below as the engine's refusal
                outcome["error"] = error

        thread = threading.Thread(target=send, daemon=True)
        thread.start()
        while thread.is_alive():
            thread.join(PROGRESS_EVERY)
            yield _progress("load", source.name, reader.done, member.size, cap=99)
    errors = [str(m.get("error")) for m in outcome.get("messages", ()) if m.get("error")]
    if "error" in outcome or errors:
        reason = str(outcome.get("error") or errors[0]).strip().splitlines()[-1]
        raise BundleInvalid(f"the engine refused {source}: {reason}", "copy the archive again, or save it anew")
    yield _progress("load", source.name, member.size, member.size)
    found = store.find(references)
    wrong = [item["image"] for item in manifest["images"]
             if found[item["image"]] is None or found[item["image"]].id != item["id"]]
    if wrong:
        raise BundleInvalid(f"after loading {source}, not here as saved: {', '.join(wrong)}",
                            "save the archive again on the machine that has the images")
    for item in manifest["images"]:
        yield ImageDone(action="load", image=item["image"], size=int(item.get("size") or 0),
                        elapsed=round(clock() - began, 2))
    return manifest


def _hash(archive: tarfile.TarFile, member: tarfile.TarInfo, source: Path, clock) -> Iterator[Event]:
    digest, done, last = hashlib.sha256(), 0, 0.0
    stream = archive.extractfile(member)
    if stream is None:
        raise BundleInvalid(f"{source}: {IMAGES} is not a file", "copy the archive again")
    try:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
            done += len(chunk)
            now = clock()
            if now - last >= PROGRESS_EVERY:
                last = now
                yield _progress("verify", source.name, done, member.size)
    except (OSError, tarfile.TarError) as error:
        raise BundleInvalid(f"{source}: cannot read {IMAGES} ({error})", "the archive is damaged: copy it again") from None
    yield _progress("verify", source.name, done, member.size)
    return digest.hexdigest()


class _CountingReader:
    """A file object for the engine upload that counts what was read (for the progress line)."""

    def __init__(self, stream: Any, size: int) -> None:
        self._stream = stream
        self._size = size
        self.done = 0

    def __len__(self) -> int:  # requests sends a Content-Length rather than chunks
        return self._size

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        self.done += len(chunk)
        return chunk
