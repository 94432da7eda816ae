"""Known advisories of the pins a running stack uses, read from the stack's upstream records.

A record (``compose/upstream/<component>.toml`` beside the compose files; docs/bundled-stack.md, "The bundled
stack") may carry ``[[advisories]]`` tables: the ids, the exact pins affected and the versions
that fix them. `launcher doctor` names each running container whose image is such a pin. The
image is the engine's word (the reference the container was created from), not the compose
files': a pin moved in the files but not yet upgraded still runs the affected image.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from wizard.core.docker.containers import ContainerState
from wizard.core.manifest.tomllines import LineFinder
from wizard.core.docker.protocol import Engine
from wizard.core.support.errors import ConfigError, LauncherError
from wizard.core.support.files import shown_path

RECORDS = Path("compose") / "upstream"
FIELDS = {"id": str, "pins": list, "fixed": str, "source": str}
HINT = "each [[advisories]] table has id, pins (a list of image references), fixed and source"


@dataclass(frozen=True)
class Advisory:
    ids: str  # one id or several, as the record names them
    fixed: str  # the versions that fix it, as the record words them
    record: str  # the record file, as shown to the user


@dataclass(frozen=True)
class PinAdvisory:
    """A running service whose image a record marks with a known advisory."""

    service: str
    image: str
    advisory: Advisory


def read_advisories(root: Path) -> dict[str, list[Advisory]]:
    """Pin -> its advisories, from every record under root's compose/upstream (none: empty)."""
    folder = root / RECORDS
    found: dict[str, list[Advisory]] = {}
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else ():
        shown = shown_path(path, root)
        try:
            text = path.read_text(encoding="utf-8")
            record = tomllib.loads(text)
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"{shown}: cannot be read ({error})", "make the record a readable UTF-8 file") from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{shown}: not valid TOML ({error})", "fix the record's syntax") from None
        advisories = record.get("advisories", [])
        lines = [number for number, table in LineFinder(text).headers if table == ("advisories",)]
        if not isinstance(advisories, list) or len(lines) != len(advisories):
            raise ConfigError(f"{shown}: advisories must be [[advisories]] tables", HINT)
        for line, advisory in zip(lines, advisories):
            problem = _problem(advisory)
            if problem:
                raise ConfigError(f"{shown}:{line}: {problem}", HINT)
            for pin in advisory["pins"]:
                found.setdefault(pin, []).append(Advisory(advisory["id"], advisory["fixed"], shown))
    return found


def _problem(advisory: dict) -> str:
    unknown = sorted(set(advisory) - set(FIELDS))
    if unknown:
        return f"unknown key {unknown[0]!r} in an advisory"
    for key, kind in FIELDS.items():
        value = advisory.get(key)
        if not isinstance(value, kind) or not value:
            return f"advisory {key!r} missing or not a {'list' if kind is list else 'text'}"
    if not all(isinstance(pin, str) and pin for pin in advisory["pins"]):
        return "advisory pins must be image references (text)"
    return ""


def running_pin_advisories(root: Path, engine: Engine) -> list[PinAdvisory] | None:
    """Doctor's look: None when the stack keeps no records or the engine does not answer (its own check
    says so); a wrong record raises ConfigError (file:line)."""
    if not (root / RECORDS).is_dir():
        return None
    known = read_advisories(root)
    try:
        containers = engine.containers()
    except LauncherError:
        return None
    return matching(known, containers)


def matching(known: dict[str, list[Advisory]], containers: Sequence[ContainerState]) -> list[PinAdvisory]:
    """Each running container whose image a record marks, once per advisory, in container order."""
    return [PinAdvisory(state.service, state.image, advisory)
            for state in containers if state.state == "running"
            for advisory in known.get(state.image, [])]
