"""The record of the last successful `up`: the resolved compose config it brought up.

`launcher upgrade` compares it with what the compose files say now, so a changed
environment, command or healthcheck is a change even under the same image, and a rollback
brings services back from it exactly as they ran. It holds resolved values, secrets
included, so it lives in the stack's private `.launcher` folder, 0600, written atomically.
Compose prints resolved values escaped (`$$`), so the record is itself a compose file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Sequence

from wizard.core.support.files import atomic_write

RECORD = Path(".launcher") / "last-up.json"


def read_record(root: Path) -> dict[str, Any] | None:
    """{"key": the model's fingerprint then, "config": compose's resolved config}, or None before any `up`."""
    try:
        record = json.loads((root / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("config"), dict) else None


def record_up(root: Path, key: str, config: Callable[[], dict[str, Any]], started: Sequence[str],
              current: Sequence[str] = ()) -> None:
    """Record what ran after an `up` (or an upgrade) that started ``started``.

    The services it started take their entry from today's ``config``, and so do those in
    ``current``: `up` converged them, so what runs is what the files say (compose's hash
    agrees). The others keep theirs (a service the record does not know yet is taken as it
    is now). ``key``, the files' fingerprint, lets a no-op `up` whose files have not moved
    skip the compose call.
    """
    recorded = read_record(root)
    if recorded is not None and recorded.get("key") == key and not started:
        return
    now = config()
    if recorded is not None:
        services = dict(recorded["config"].get("services") or {})
        for name, service in (now.get("services") or {}).items():
            if name in started or name in current or name not in services:
                services[name] = service
        now = {**now, "services": services}
    atomic_write(root / RECORD, json.dumps({"key": key, "config": now}, sort_keys=True).encode(), 0o600)


def recorded_services(root: Path) -> dict[str, Any]:
    record = read_record(root)
    return dict((record or {}).get("config", {}).get("services") or {})
