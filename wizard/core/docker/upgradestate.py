"""The two files `launcher upgrade` leaves for later runs, each read by one strict reader.

Both guard data: the journal (``.launcher/upgrade-journal.json``) says what an interrupted
upgrade must undo, the switch file (``.launcher/upgrade.yml``) which volume each moved
compose volume now is. A file that is not exactly what the launcher writes is refused in
one line, exit 3, naming the file and what to do: nothing is guessed from it, and `up`
and `upgrade` say the same line (neither points at the other while that one cannot read
it). Neither file decides alone what to delete or start: upgrade/evidence.py asks the
engine first. These readers sit in the docker layer because `up` (the compose file list,
the refusal to start a half-moved stack) needs them as much as `upgrade` does.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from wizard.core.support.errors import ConfigError

UPGRADE_OVERRIDE = Path(".launcher") / "upgrade.yml"
UPGRADE_JOURNAL = Path(".launcher") / "upgrade-journal.json"

# Docker's own rule for volume names; compose's for its keys (a little wider: it allows no leading dot).
VOLUME_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+")
COMPOSE_KEY = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*")
UPGRADE_ID = re.compile(r"[0-9a-f]{16,64}")
PHASES = ("copy", "switched")
JOURNAL_FIELDS = {"phase", "upgrade_id", "new_volumes", "services", "snapshot", "override_before", "previous"}
REQUIRED_FIELDS = {"phase", "new_volumes", "services", "snapshot", "override_before"}

GUARD_HINT = ("put back the file the upgrade wrote, or move it away once you know the stack runs as it should "
              "(`docker volume ls --filter label=launcher.upgrade.from` lists the volumes upgrades made)")


class UpgradeStateInvalid(ConfigError):
    """An upgrade journal or switch file is not what the launcher writes (exit 3: fix the file)."""


def read_journal(root: Path) -> dict[str, Any] | None:
    """The interrupted upgrade's journal, checked field by field; None when no upgrade is under way."""
    path = root / UPGRADE_JOURNAL
    text = _read(path)
    if text is None:
        return None
    journal = _parse(path, text)
    _check_journal(journal, path)
    return journal


def read_switch(root: Path) -> dict[str, str]:
    """Compose volume key -> the volume an upgrade moved it to; {} without a switch file."""
    path = root / UPGRADE_OVERRIDE
    text = _read(path)
    return {} if text is None else parse_switch(text, path)


def parse_switch(text: str, path: Path) -> dict[str, str]:
    """The switch file's text (a journal's `override_before` too), exactly as switch.write_switch writes it."""
    document = _parse(path, text)
    volumes = document.get("volumes") if isinstance(document, dict) and set(document) == {"volumes"} else None
    if not isinstance(volumes, dict):
        raise _invalid(path, 'holds more or less than one "volumes" mapping')
    moved = {}
    for key, spec in volumes.items():
        if not COMPOSE_KEY.fullmatch(key) or not isinstance(spec, dict) or set(spec) != {"name", "external"} \
                or spec["external"] is not True or not _volume_name(spec["name"]):
            raise _invalid(path, f"volume entry {key[:60]!r} is not {{name: <volume>, external: true}}")
        moved[key] = spec["name"]
    return moved


def _check_journal(journal: Any, path: Path) -> None:
    if not isinstance(journal, dict):
        raise _invalid(path, "is not a JSON object")
    unknown = sorted(set(journal) - JOURNAL_FIELDS)
    missing = sorted(REQUIRED_FIELDS - set(journal))
    if unknown or missing:
        raise _invalid(path, f"has unknown field(s) {unknown[:3]}" if unknown else f"lacks field(s) {missing}")
    if journal["phase"] not in PHASES:
        raise _invalid(path, f"phase is not one of {', '.join(PHASES)}")
    if "upgrade_id" in journal and not (isinstance(journal["upgrade_id"], str)
                                        and UPGRADE_ID.fullmatch(journal["upgrade_id"])):
        raise _invalid(path, "upgrade_id is not an upgrade id")
    if not _names(journal["new_volumes"], _volume_name):
        raise _invalid(path, "new_volumes is not a list of volume names")
    if not _names(journal["services"], lambda name: isinstance(name, str) and COMPOSE_KEY.fullmatch(name)):
        raise _invalid(path, "services is not a list of service names")
    if not isinstance(journal["snapshot"], str):
        raise _invalid(path, "snapshot is not a path")
    if journal["override_before"] is not None:
        if not isinstance(journal["override_before"], str):
            raise _invalid(path, "override_before is neither null nor the switch file's text")
        parse_switch(journal["override_before"], path)
    if "previous" in journal:
        _check_previous(journal["previous"], journal["services"], path)
    elif journal["phase"] == "switched":
        raise _invalid(path, "a switched upgrade's journal lacks its previous config")


def _check_previous(previous: Any, services: list[str], path: Path) -> None:
    """Only the shape here; upgrade/evidence.py holds what it may start against the compose model."""
    if not (isinstance(previous, dict) and set(previous) == {"standalone", "document"}
            and isinstance(previous["standalone"], bool) and isinstance(previous["document"], dict)):
        raise _invalid(path, "previous is not {standalone, document}")
    document = previous["document"]
    documented = document.get("services")
    if not isinstance(documented, dict) or not all(isinstance(documented.get(name), dict) for name in services):
        raise _invalid(path, "previous does not hold a config for each service the upgrade changed")
    for section in ("volumes", "networks", "secrets", "configs"):
        entries = document.get(section, {})
        if not isinstance(entries, dict) or not all(isinstance(spec, (dict, type(None))) for spec in entries.values()):
            raise _invalid(path, f"previous {section} is not a mapping")
    for name in services:
        mounts = documented[name].get("volumes", [])
        if not isinstance(mounts, list) or not all(isinstance(mount, dict) for mount in mounts):
            raise _invalid(path, f"previous {name}: volumes is not a list of mounts")


def _read(path: Path) -> str | None:
    """The file's text, None when it does not exist; unreadable or undecodable is refused."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise _invalid(path, f"cannot be read ({_why(error)})") from None


def _parse(path: Path, text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:  # RecursionError: nested deeper than any file the launcher writes
        raise _invalid(path, f"is not the JSON the launcher writes ({_why(error)})",
                       line=getattr(error, "lineno", 0)) from None


def _names(value: Any, valid) -> bool:
    return isinstance(value, list) and all(valid(name) for name in value)


def _volume_name(name: Any) -> bool:
    return isinstance(name, str) and bool(VOLUME_NAME.fullmatch(name))


def _why(error: BaseException) -> str:
    # An OSError's strerror, a JSON error's msg: never the file's own text, which may hold secrets.
    return getattr(error, "strerror", None) or getattr(error, "msg", None) or type(error).__name__


def _invalid(path: Path, what: str, *, line: int = 0) -> UpgradeStateInvalid:
    where = f"{path}:{line}" if line else str(path)
    return UpgradeStateInvalid(f"{what}", GUARD_HINT, where=where)
