"""The restore marker, ``.launcher/restore.json``: a restore under way, or stopped half way.

`snapshot restore` writes it once every check passed and before it changes anything,
and removes it when every store holds the snapshot (or, after a failure, holds again
what it held before). While it exists the stack may be half restored, so `up` refuses
and names the two ways out: `launcher snapshot restore NAME` again finishes the
restore, `launcher snapshot restore --abandon` gives every store set aside its place
back. `status` and `ls` show it.

It is a note that says where to look, never what to delete: which databases and
volumes the restore replaces. What is set aside is what the server and the engine
show (a database under ``postgres.aside_name``, a volume the launcher labelled
``launcher.aside-of`` when it made it). It is read strictly: a file of another
shape is refused in one line (exit 3), since guessing could hide a half-done restore.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from wizard.core.support.errors import ConfigError, PreflightFailed
from wizard.core.support.files import STATE_DIR, atomic_write

MARKER = Path(STATE_DIR) / "restore.json"
FORMAT = 1


@dataclass(frozen=True)
class DatabaseNote:
    service: str
    database: str


@dataclass(frozen=True)
class VolumeNote:
    volume: str  # the engine's name when the restore began (an anonymous one's 64 hex digits)
    key: str  # its compose key ("" for an anonymous volume)
    anonymous: bool
    service: str  # an anonymous volume is found again by its service and mount path
    mount: str


@dataclass(frozen=True)
class RestoreMarker:
    snapshot: str
    started: str
    databases: tuple[DatabaseNote, ...]
    volumes: tuple[VolumeNote, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "snapshot": self.snapshot, "started": self.started,
                "databases": [asdict(note) for note in self.databases],
                "volumes": [asdict(note) for note in self.volumes]}


def write(root: Path, marker: RestoreMarker) -> None:
    atomic_write(root / MARKER, (json.dumps(marker.to_dict(), indent=2) + "\n").encode(), 0o600)


def remove(root: Path) -> None:
    (root / MARKER).unlink(missing_ok=True)


def read(root: Path) -> RestoreMarker | None:
    """The marker, None when no restore is under way; ConfigError (one line, exit 3) for any other shape."""
    path = root / MARKER
    try:
        # O_NOFOLLOW: a link planted in its place is refused, never read through.
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _wrong(f"cannot be read ({exc.strerror})") from None
    with os.fdopen(descriptor, "rb") as handle:
        raw = handle.read(1 << 20)
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise _wrong("is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise _wrong(f"is not JSON ({exc.msg})", line=exc.lineno) from None
    return _parse(data)


def refuse_if_unfinished(root: Path) -> None:
    """`up` (and what runs it) on a stack a restore left half done: one line naming the two ways out."""
    pending = read(root)
    if pending is not None:
        raise PreflightFailed(f"a restore of snapshot {pending.snapshot} stopped half way ({MARKER}): some stores "
                              "may hold the snapshot and others not",
                              f"finish it with `launcher snapshot restore {pending.snapshot}`, or undo it with "
                              "`launcher snapshot restore --abandon`")


def _parse(data: Any) -> RestoreMarker:
    _fields(data, {"format", "snapshot", "started", "databases", "volumes"}, "the file")
    if data["format"] != FORMAT or isinstance(data["format"], bool):
        raise _wrong(f"has format {data['format']!r}, this launcher writes {FORMAT}")
    snapshot, started = _text(data, "snapshot", "the file"), _text(data, "started", "the file")
    if not snapshot:
        raise _wrong("names no snapshot")
    databases, volumes = data["databases"], data["volumes"]
    if not isinstance(databases, list) or not isinstance(volumes, list):
        raise _wrong("has databases or volumes that are not lists")
    notes = []
    for index, entry in enumerate(databases):
        where = f"database {index + 1}"
        _fields(entry, {"service", "database"}, where)
        notes.append(DatabaseNote(service=_text(entry, "service", where), database=_text(entry, "database", where)))
    kept = []
    for index, entry in enumerate(volumes):
        where = f"volume {index + 1}"
        _fields(entry, {"volume", "key", "anonymous", "service", "mount"}, where)
        if not isinstance(entry["anonymous"], bool):
            raise _wrong(f"has {where} whose anonymous is not true or false")
        kept.append(VolumeNote(volume=_text(entry, "volume", where), key=_text(entry, "key", where),
                               anonymous=entry["anonymous"], service=_text(entry, "service", where),
                               mount=_text(entry, "mount", where)))
    return RestoreMarker(snapshot=snapshot, started=started, databases=tuple(notes), volumes=tuple(kept))


def _fields(entry: Any, names: set[str], where: str) -> None:
    if not isinstance(entry, dict):
        raise _wrong(f"has {where} that is not an object")
    if set(entry) != names:
        odd = sorted(set(entry) ^ names)
        raise _wrong(f"has {where} with other fields than the launcher writes ({', '.join(map(str, odd))[:80]})")


def _text(entry: dict, name: str, where: str) -> str:
    value = entry[name]
    if not isinstance(value, str) or len(value) > 4096 or any(ord(char) < 32 for char in value):
        raise _wrong(f"has {where} whose {name} is not a one-line text")
    return value


def _wrong(problem: str, *, line: int = 0) -> ConfigError:
    return ConfigError(f"the restore marker {problem}",
                       "it guards a restore that may have stopped half way: if it was edited, remove it and run "
                       "`launcher snapshot restore NAME` again (what a stopped restore set aside is kept and "
                       "found again)", where=f"{MARKER}:{line}" if line else str(MARKER))
