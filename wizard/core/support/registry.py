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
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from wizard.core.support.errors import ConfigError

REGISTRY_NAME = "instances.json"
FORMAT = 1


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
    """Every registered instance by name, without the lock (a reader that changes nothing)."""
    path = registry_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise ConfigError(f"cannot read the instance registry {path}: {error}",
                          "fix or delete that file; `launcher init` in each checkout writes it again") from None
    entries = data.get("instances", {}) if isinstance(data, dict) else {}
    known = set(Instance.__dataclass_fields__)
    return {name: Instance(**{key: value for key, value in entry.items() if key in known})
            for name, entry in entries.items() if isinstance(entry, dict) and {"name", "stack", "folder"} <= set(entry)}


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
