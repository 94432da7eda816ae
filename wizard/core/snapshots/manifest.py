"""Where snapshots live, how their parts are written, and the manifest that vouches for them.

A snapshot is a folder (0700) of part files (0600) and ``manifest.json``. The
manifest lists every part with its size and sha256 (of the bytes as stored, so
corruption is caught before anything is decrypted or restored), the stack's name
and the sha256 of its stack.toml, the launcher version, and its own hash over
everything else it says. A snapshot is written into a hidden temp folder next to
its final place and renamed at the very end: a failed save leaves nothing under
the name.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping

from wizard.core.support.errors import SnapshotInvalid, UsageError

FORMAT = "launcher-snapshot/1"
MANIFEST = "manifest.json"
FOLDER = Path(".launcher") / "snapshots"
ENCRYPTING_MARKER = Path(".launcher") / "snapshots-encrypted"
PARTIAL = ".partial-"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
NAME_MAX = 100
READ_CHUNK = 1 << 20
# What a manifest must say, and as what type: anything else is a damaged snapshot, not a crash.
PART_TYPES = {"name": str, "size": int, "sha256": str}
OPTIONAL_PART_TYPES = {"kind": str, "volume": str, "key": str, "service": str, "database": str, "step": str,
                       "services": list, "anonymous": bool, "mount": str}


def snapshots_dir(stack) -> Path:
    return stack.root / FOLDER


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise UsageError(f"{name!r} is not a usable snapshot name",
                         "use letters, digits, '.', '_' and '-', starting with a letter or digit")
    return name


def part_name(prefix: str, stem: str, suffix: str) -> str:
    """A part's file name under NAME's rule: a stem too long keeps its start and gains a hash of the whole."""
    name = f"{prefix}{stem}{suffix}"
    if len(name) <= NAME_MAX:
        return name
    digest = hashlib.sha256(stem.encode()).hexdigest()[:12]
    room = NAME_MAX - len(prefix) - len(suffix) - len(digest) - 1
    return f"{prefix}{stem[:room]}-{digest}{suffix}"


def default_name(now: datetime | None = None) -> str:
    return (now or datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M%S")


def locate(stack, name_or_path: str) -> Path:
    """The folder of a snapshot given by name (under .launcher/snapshots) or by path."""
    candidate = Path(name_or_path)
    if os.sep in name_or_path or candidate.is_absolute():
        folder = candidate
    else:
        folder = snapshots_dir(stack) / check_name(name_or_path)
    if not (folder / MANIFEST).is_file():
        raise UsageError(f"no snapshot {name_or_path!r} (no {MANIFEST} in {folder})",
                         "see `launcher snapshot list`")
    return folder


def mark_encrypting(stack) -> None:
    """Remember that this stack encrypts its snapshots: an unencrypted one is suspect from now on."""
    marker = stack.root / ENCRYPTING_MARKER
    if not marker.exists():
        descriptor = os.open(marker, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write("this stack's snapshots are encrypted; an unencrypted one is restored only with "
                       "--allow-unencrypted\n")


def encrypting(stack) -> bool:
    return (stack.root / ENCRYPTING_MARKER).is_file()


def file_sha256(stack) -> str:
    return hashlib.sha256(stack.manifest.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- writing


def remove_stale_partials(folder: Path) -> None:
    """Temp folders of saves that were killed (they hold secrets): removed once their writer is gone.

    The folder's name ends with the writer's pid; a save still running keeps its own.
    """
    from wizard.core.support.files import process_alive

    for temp in folder.glob(f".*{PARTIAL}*"):
        pid = temp.name.rsplit("-", 1)[-1]
        if temp.is_dir() and not temp.is_symlink() and pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(temp, ignore_errors=True)


class PartWriter:
    """Creates a snapshot in a temp folder; ``commit`` renames it into place."""

    def __init__(self, final: Path, root: Path | None = None) -> None:
        if final.exists():
            raise UsageError(f"snapshot {final.name!r} already exists ({final})",
                             "choose another name, or remove it with `launcher snapshot rm`")
        from wizard.core.support.files import make_private_dir

        make_private_dir(final.parent, root)  # every level it creates 0700, whatever the umask
        remove_stale_partials(final.parent)
        self.final = final
        self.temp = final.parent / f".{final.name}{PARTIAL}{os.urandom(4).hex()}-{os.getpid()}"
        self.temp.mkdir(mode=0o700)
        self.parts: list[dict[str, Any]] = []

    def open(self, name: str) -> "PartFile":
        """A new part file (0600) in the temp folder; ``close`` it to list it in the manifest."""
        return PartFile(self, name)

    def commit(self, manifest: dict[str, Any], *, key: bytes | None = None) -> Path:
        """Write the manifest (authenticated with key when the snapshot is encrypted) and rename into place."""
        manifest = {**manifest, "parts": self.parts}
        if key is not None:
            from wizard.core.snapshots.crypto import manifest_mac

            manifest["manifest_mac"] = manifest_mac(key, manifest)
        manifest["manifest_sha256"] = manifest_hash(manifest)
        path = self.temp / MANIFEST
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(manifest, file, indent=2, sort_keys=True)
            file.write("\n")
            file.flush()
            os.fsync(file.fileno())
        os.rename(self.temp, self.final)
        _fsync_dir(self.final.parent)
        return self.final

    def abandon(self) -> None:
        shutil.rmtree(self.temp, ignore_errors=True)


class PartFile:
    """One part being written: hashed and counted as the bytes go by."""

    def __init__(self, writer: PartWriter, name: str) -> None:
        self.writer = writer
        self.name = name
        self.size = 0
        self._digest = hashlib.sha256()
        descriptor = os.open(writer.temp / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._file = os.fdopen(descriptor, "wb")

    def write(self, data: bytes) -> None:
        self._file.write(data)
        self._digest.update(data)
        self.size += len(data)

    def close(self, **about: Any) -> dict[str, Any]:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        entry = {"name": self.name, **about, "size": self.size, "sha256": self._digest.hexdigest()}
        self.writer.parts.append(entry)
        return entry


def manifest_hash(manifest: Mapping[str, Any]) -> str:
    body = {key: value for key, value in manifest.items() if key != "manifest_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _fsync_dir(folder: Path) -> None:
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


# --------------------------------------------------------------------------- reading and verifying


@dataclass(frozen=True)
class Snapshot:
    folder: Path
    manifest: dict[str, Any]

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def encrypted(self) -> bool:
        return bool(self.manifest.get("encryption"))

    @property
    def parts(self) -> list[dict[str, Any]]:
        return list(self.manifest.get("parts") or [])

    @property
    def size(self) -> int:
        return sum(int(part.get("size") or 0) for part in self.parts)

    def part_path(self, part: Mapping[str, Any]) -> Path:
        return self.folder / str(part["name"])

    def read(self, part: Mapping[str, Any]) -> Iterator[bytes]:
        with open(self.part_path(part), "rb") as file:
            while data := file.read(READ_CHUNK):
                yield data

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "path": str(self.folder), "created": self.manifest.get("created"),
                "size": self.size, "parts": [part.get("name") for part in self.parts],
                "encrypted": self.encrypted, "stack": self.manifest.get("stack")}


def load(folder: Path) -> Snapshot:
    """Read and self-check a manifest (not yet the parts); SnapshotInvalid when it is damaged."""
    shown = folder / MANIFEST
    try:
        manifest = json.loads(shown.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SnapshotInvalid(f"cannot read {shown}: {exc.strerror}", "see `launcher snapshot list`") from None
    except ValueError:
        raise SnapshotInvalid(f"{shown} is not valid JSON", "the snapshot is damaged; use another one") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise SnapshotInvalid(f"{shown} is not a launcher snapshot manifest ({FORMAT})",
                              "use a snapshot made by `launcher snapshot save`")
    if manifest.get("manifest_sha256") != manifest_hash(manifest):
        raise SnapshotInvalid(f"{shown} does not match its own hash (edited or damaged)",
                              "the snapshot cannot be trusted; use another one")
    _check_shape(manifest, shown)
    for part in manifest["parts"]:
        if not NAME.fullmatch(part["name"]) or part["name"] == MANIFEST:
            raise SnapshotInvalid(f"{shown} names a part outside the snapshot ({part['name']!r})",
                                  "the snapshot cannot be trusted; use another one")
    return Snapshot(folder, manifest)


def _check_shape(manifest: Mapping[str, Any], shown: Path) -> None:
    """Every field the launcher reads has the type it is read as (the hash only proves nobody edited it)."""
    def damaged(what: str) -> SnapshotInvalid:
        return SnapshotInvalid(f"{shown} is damaged: {what}", "the snapshot cannot be trusted; use another one")

    for field_name in ("stack", "created"):
        if not isinstance(manifest.get(field_name), str):
            raise damaged(f"{field_name} is not a string")
    parts = manifest.get("parts")
    if not isinstance(parts, list) or not all(isinstance(part, dict) for part in parts):
        raise damaged("parts is not a list of objects")
    for part in parts:
        for key, kind in PART_TYPES.items():
            if not isinstance(part.get(key), kind) or isinstance(part.get(key), bool):
                raise damaged(f"a part's {key} is missing or not a {kind.__name__}")
        if part["size"] < 0:
            raise damaged(f"part {part['name']!r} has a negative size")
        for key, kind in OPTIONAL_PART_TYPES.items():
            if key in part and not isinstance(part[key], kind):
                raise damaged(f"part {part['name']!r} has a {key} that is not a {kind.__name__}")


def verify(snapshot: Snapshot, stack, *, force: bool = False, progress=lambda done, total: None) -> None:
    """Every check that needs no change: same stack, every part present, whole and unchanged."""
    manifest = snapshot.manifest
    if not force:
        if manifest.get("stack") != stack.name:
            raise SnapshotInvalid(f"snapshot {snapshot.name} is of stack {manifest.get('stack')!r}, "
                                  f"not {stack.name!r}", "pass --force to restore it into this stack anyway")
        if manifest.get("stack_manifest_sha256") != file_sha256(stack):
            raise SnapshotInvalid(f"snapshot {snapshot.name} was taken with a different stack.toml",
                                  "pass --force to restore it with this stack.toml anyway")
    total = snapshot.size
    done = 0
    for part in snapshot.parts:
        path = snapshot.part_path(part)
        try:
            size = path.stat().st_size
        except OSError:
            raise SnapshotInvalid(f"part {part['name']} of snapshot {snapshot.name} is missing",
                                  "the snapshot is incomplete; use another one") from None
        if size != int(part.get("size", -1)):
            raise SnapshotInvalid(f"part {part['name']} of snapshot {snapshot.name} is {size} bytes, "
                                  f"the manifest says {part.get('size')} (truncated or damaged)",
                                  "nothing was changed; use another snapshot")
        digest = hashlib.sha256()
        for data in snapshot.read(part):
            digest.update(data)
            done += len(data)
            progress(done, total)
        if digest.hexdigest() != part.get("sha256"):
            raise SnapshotInvalid(f"part {part['name']} of snapshot {snapshot.name} fails its sha256 check "
                                  "(damaged)", "nothing was changed; use another snapshot")


def list_snapshots(stack) -> list[tuple[Path, Snapshot | None, str]]:
    """Every snapshot folder under .launcher/snapshots, oldest first: (folder, snapshot or None, problem)."""
    found = []
    root = snapshots_dir(stack)
    if not root.is_dir():
        return []
    for folder in sorted(root.iterdir()):
        if not folder.is_dir() or folder.name.startswith("."):
            continue
        try:
            found.append((folder, load(folder), ""))
        except SnapshotInvalid as exc:
            found.append((folder, None, exc.message))
    return sorted(found, key=lambda item: (item[1].manifest.get("created", "") if item[1] else "", item[0].name))


def remove(folder: Path) -> None:
    shutil.rmtree(folder)


def prune(stack, keep: int) -> list[str]:
    """Remove the oldest valid snapshots beyond ``keep``; returns the names removed."""
    valid = [(folder, snap) for folder, snap, _ in list_snapshots(stack) if snap is not None]
    doomed = valid[:max(0, len(valid) - keep)]
    for folder, _ in doomed:
        remove(folder)
    return [folder.name for folder, _ in doomed]


def last_snapshot(stack) -> dict[str, Any] | None:
    """Name and time (ISO) of the newest snapshot under .launcher/snapshots, for status."""
    valid = [snap for _, snap, _ in list_snapshots(stack) if snap is not None]
    return {"name": valid[-1].name, "created": valid[-1].manifest.get("created")} if valid else None
