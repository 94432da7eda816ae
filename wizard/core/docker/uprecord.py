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

from wizard.core.support.events import PreflightCheck
from wizard.core.support.files import atomic_write

RECORD = Path(".launcher") / "last-up.json"
# Where a record of the wrong shape goes: kept for a look, out of the way of the next `up`, which writes a new one.
SET_ASIDE = Path(".launcher") / "last-up.json.bad"
SECTIONS = ("services", "volumes", "networks", "secrets", "configs")


def read_record(root: Path) -> dict[str, Any] | None:
    """{"key": the model's fingerprint then, "config": compose's resolved config}, or None before any `up`.

    A note, not a guard: one of the wrong shape is set aside (set_aside_bad_record) and read as
    no record, so it never blocks `up` or `upgrade`; the next `up` writes it anew.
    """
    record, _problem = _load(root)
    return record


def set_aside_bad_record(root: Path) -> PreflightCheck | None:
    """Set a wrong record aside, saying so (a warning of `up` and `upgrade`); None when it is fine or absent."""
    _record, problem = _load(root)
    if not problem:
        return None
    return PreflightCheck(check="last-up record", status="warn",
                          detail=f"{root / RECORD} {problem}: read as no record, set aside as {SET_ASIDE.name}",
                          hint="the next successful `up` records what runs anew")


def _load(root: Path) -> tuple[dict[str, Any] | None, str]:
    """The record and "", or None and what was wrong with it (then it is set aside already)."""
    path = root / RECORD
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, ""
    except (OSError, ValueError, RecursionError) as error:  # RecursionError: nested deeper than compose writes
        problem = f"cannot be read ({getattr(error, 'strerror', None) or getattr(error, 'msg', None) or 'undecodable'})"
    else:
        problem = _shape_problem(record)
        if not problem:
            return record, ""
    try:
        path.replace(root / SET_ASIDE)
    except OSError:
        return None, f"{problem}, and cannot be set aside"
    return None, problem


def _shape_problem(record: Any) -> str:
    """What is not as record_up writes it ("" when all is): the parts the launcher reads back are checked."""
    if not isinstance(record, dict) or set(record) != {"key", "config"} or not isinstance(record["key"], str):
        return "is not {key, config}"
    config = record["config"]
    if not isinstance(config, dict) or not isinstance(config.get("services"), dict):
        return "has no config with services"
    for section in SECTIONS:
        entries = config.get(section, {})
        if not isinstance(entries, dict) or not all(isinstance(name, str) and isinstance(spec, dict)
                                                    for name, spec in entries.items()):
            return f"has a {section} section that is not a mapping of mappings"
    for name, service in (config.get("services") or {}).items():
        mounts = service.get("volumes", [])
        if not isinstance(mounts, list) or not all(isinstance(mount, dict) for mount in mounts):
            return f"has service {name[:60]!r} whose volumes are not a list of mounts"
    return ""


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
