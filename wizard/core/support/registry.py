"""The machine-wide instance registry: every checkout of a stack on this machine, its folder and ports.

One JSON file in the user's state folder (``$XDG_STATE_HOME/launcher/instances.json``,
``~/.local/state/launcher`` by default), so it survives reboots, unlike /run or /tmp.
Every change is read, made and written under one fcntl lock (``lock.file_lock``) and
replaces the file atomically (``files.atomic_write``): two ``init``s racing in two
worktrees see each other's claim, and a killed run never leaves half a file.
"""

from __future__ import annotations

import json
import os
import re
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from wizard.core.support.errors import ConfigError

REGISTRY_NAME = "instances.json"
FORMAT = 1
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")  # a valid compose project name
LAST_UP_PATTERN = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\dZ$")


@dataclass
class Instance:
    """One checkout of a stack: its compose project name is ``name``."""

    name: str
    stack: str
    folder: str
    offset: int = 0  # every port setting of the manifest moved by this much
    ports: dict[str, int] = field(default_factory=dict)  # setting name -> port it claims
    last_up: str = ""  # UTC time of its last successful `up`, "" if never

    @property
    def folder_gone(self) -> bool:
        return not (Path(self.folder) / "stack.toml").is_file()


def state_folder() -> Path:
    """The launcher's machine-wide state folder (XDG base directory rules)."""
    base = os.environ.get("XDG_STATE_HOME", "").strip()
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "state"
    return root / "launcher"


def registry_path() -> Path:
    return state_folder() / REGISTRY_NAME


def read() -> dict[str, Instance]:
    """Every registered instance by name, without the lock (a reader that changes nothing).

    The registry decides what `gc` may look at, so a file of the wrong shape is refused
    (exit 3, naming the file and what is wrong), never guessed at.
    """
    path = registry_path()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise _damaged(path, f"cannot read it ({error.strerror or error})") from None
    return parse(data, path)


def parse(data: bytes, path: Path) -> dict[str, Instance]:
    """The instances in ``data`` (the bytes of ``path``), or ConfigError naming the first thing wrong."""
    try:
        document = json.loads(data.decode("utf-8"), object_pairs_hook=_no_repeated_keys,
                              parse_constant=_no_constants)
    except UnicodeDecodeError:
        raise _damaged(path, "not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise _damaged(path, f"not JSON ({error.msg})", line=error.lineno) from None
    except ValueError as error:
        raise _damaged(path, str(error)) from None
    except RecursionError:
        raise _damaged(path, "nested too deeply") from None
    _keys(document, {"format", "instances"}, "the top level", path)
    if not _is_int(document["format"]) or document["format"] != FORMAT:
        raise _damaged(path, f"format {document['format']!r}, but this launcher reads format {FORMAT}")
    if not isinstance(document["instances"], dict):
        raise _damaged(path, f"'instances' is {_shape(document['instances'])}, expected an object")
    return {name: _entry(name, entry, path) for name, entry in document["instances"].items()}


def _entry(name: str, entry: object, path: Path) -> Instance:
    where = f"instance {name!r}"
    if not NAME_PATTERN.match(name):
        raise _damaged(path, f"{where} is not a valid instance name")
    _keys(entry, set(Instance.__dataclass_fields__), where, path)
    for key in ("name", "stack", "folder", "last_up"):
        if not isinstance(entry[key], str):
            raise _damaged(path, f"{where}: {key!r} is {_shape(entry[key])}, expected text")
    if entry["name"] != name:
        raise _damaged(path, f"{where}: 'name' is {entry['name']!r}")
    if not entry["stack"] or not Path(entry["folder"]).is_absolute() or "\0" in entry["folder"]:
        raise _damaged(path, f"{where}: an empty stack name or a folder that is not an absolute path")
    if entry["last_up"] and not LAST_UP_PATTERN.match(entry["last_up"]):
        raise _damaged(path, f"{where}: 'last_up' is not a time like 2026-01-31T09:30Z")
    if not _is_int(entry["offset"]) or not 0 <= entry["offset"] <= 65535:
        raise _damaged(path, f"{where}: 'offset' is {_shape(entry['offset'])}, expected a whole number 0-65535")
    ports = entry["ports"]
    if not isinstance(ports, dict) or not all(_is_int(port) and 1 <= port <= 65535 for port in ports.values()):
        raise _damaged(path, f"{where}: 'ports' is not an object of setting names to ports 1-65535")
    return Instance(**entry)


def _keys(value: object, expected: set[str], where: str, path: Path) -> None:
    if not isinstance(value, dict):
        raise _damaged(path, f"{where} is {_shape(value)}, expected an object")
    missing, unknown = sorted(expected - set(value)), sorted(set(value) - expected)
    if missing:
        raise _damaged(path, f"{where} lacks {', '.join(map(repr, missing))}")
    if unknown:
        raise _damaged(path, f"{where} has the unknown key(s) {', '.join(map(repr, unknown))}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _shape(value: object) -> str:
    names = {type(None): "null", bool: "true/false", int: "a number", float: "a number", str: "text",
             list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)


def _no_repeated_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValueError(f"the key {repeated[0]!r} is repeated")
    return dict(pairs)


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _damaged(path: Path, what: str, *, line: int = 0) -> ConfigError:
    return ConfigError(f"instance registry: {what}",
                       "fix it or delete that file (nothing was removed); "
                       "`launcher init` in each checkout registers it again",
                       where=f"{path}:{line}" if line else str(path))


@contextmanager
def changing(action: str) -> Iterator[dict[str, Instance]]:
    """The registry, to change in place under the lock; written back atomically when the block ends."""
    from wizard.core.support.files import atomic_write
    from wizard.core.support.lock import file_lock

    path = registry_path()
    with file_lock(path.with_name(REGISTRY_NAME + ".lock"), action):
        instances = read()
        before = {name: asdict(entry) for name, entry in instances.items()}
        yield instances
        after = {name: asdict(entry) for name, entry in sorted(instances.items())}
        if after != before:
            text = json.dumps({"format": FORMAT, "instances": after}, indent=2) + "\n"
            atomic_write(path, text.encode("utf-8"), 0o600)


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%MZ")


def mark_up(project: str, folder: Path) -> None:
    """Note when an instance was last brought up, and from where (shown by `launcher ls`).

    To the minute, and written only when that changes: the daily no-op `up` mostly reads.
    """
    entry = read().get(project)
    if entry is None or (entry.last_up == now() and entry.folder == str(folder)):
        return
    with changing("up") as instances:
        if project in instances:
            # A checkout moved elsewhere is found where it now is, not left for `gc` as gone.
            instances[project].last_up, instances[project].folder = now(), str(folder)


def block_of(project: str) -> int:
    """The offset of an instance's block of ports (0: the manifest's own ports, or not registered)."""
    entry = read().get(project)
    return entry.offset if entry else 0


def instance_title(project: str) -> str:
    """How front ends name an instance: its name, and its block when its ports moved."""
    offset = block_of(project)
    return f"{project} (ports +{offset})" if offset else project
