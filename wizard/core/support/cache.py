"""A small disk cache for answers that are slow to get and rarely change.

Compose's version, the compose model, seed and secret bookkeeping: each entry is
one JSON file under ``$XDG_CACHE_HOME/launcher``, valid while its key (a hash of
the inputs, file times and sizes included, see ``fingerprint``) is unchanged.
``LAUNCHER_NO_CACHE`` turns every read into a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any, Sequence


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "launcher"


def fingerprint(data: Any, paths: Sequence[Path]) -> str:
    stats = []
    for path in paths:
        try:
            stat = path.stat()
            stats.append([str(path), stat.st_mtime_ns, stat.st_size])
        except OSError:
            stats.append([str(path), None, None])
    blob = json.dumps({"data": data, "files": stats}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def content_fingerprint(data: Any, paths: Sequence[Path]) -> str:
    """Like ``fingerprint``, over what the files hold: an edit that keeps a file's size and time still counts.

    For the small text files `up` decides on (compose files, env files): reading them costs
    less than a millisecond, and a key over their content cannot go stale.
    """
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode())
    for path in paths:
        digest.update(b"\0" + str(path).encode() + b"\0")
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"absent")
    return digest.hexdigest()


def cache_read(name: str, key: str) -> dict[str, Any] | None:
    if os.environ.get("LAUNCHER_NO_CACHE"):
        return None
    try:
        data = json.loads((_cache_dir() / f"{name}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    # Anything but the record cache_write makes (a hand-edited or foreign file) is a miss.
    if not isinstance(data, dict):
        return None
    return data.get("value") if data.get("key") == key else None


def cache_write(name: str, key: str, value: Any) -> None:
    """Best effort, atomic, 0600: a cache that cannot be written only costs time."""
    from wizard.core.support.files import atomic_write

    record = {"key": key, "written": time.time(), "value": value}
    try:
        atomic_write(_cache_dir() / f"{name}.json", json.dumps(record).encode("utf-8"), 0o600)
    except OSError:
        pass
