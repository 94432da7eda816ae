"""Files and folders the launcher writes: atomically, private whatever the umask, temp files cleaned."""

from __future__ import annotations

import os
from pathlib import Path

# Where the launcher keeps its own state (values store, backups, lock) inside the stack folder.
STATE_DIR = ".launcher"
PRIVATE_DIR_MODE = 0o700
TEMP_SUFFIX = ".launcher-tmp"


def shown_path(path: Path, base: Path, *, dot: bool = False) -> str:
    """A path as the user reads it: relative to ``base`` (the stack folder, or the working
    folder for what the user named) when inside it, else as it is; ``dot`` marks a relative
    one with ``./`` where it stands beside other words."""
    try:
        relative = str(path.relative_to(base))
    except ValueError:
        return str(path)
    return "./" + relative if dot else relative


def make_private_dir(folder: Path, root: Path | None = None) -> None:
    """Create ``folder`` and any missing parents as 0700; folders that exist are left as they are.

    ``Path.mkdir(parents=True)`` gives parents the umask's mode (0777 under umask
    000), and env files and keyfiles must not sit in a world-writable folder, so
    each missing level is made, and chmod-ed, here. ``root`` bounds the walk up.
    """
    missing = []
    current = folder
    while not current.exists() and current != root and current.parent != current:
        missing.append(current)
        current = current.parent
    for level in reversed(missing):
        try:
            level.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:
            if not level.is_dir():
                raise
            continue  # made by a concurrent process: its mode is its maker's business
        os.chmod(level, PRIVATE_DIR_MODE)


def remove_stale_temps(path: Path) -> None:
    """Temp files left by a killed run between write and rename hold secrets: remove them.

    A temp file carries its writer's pid; one whose writer still lives is not ours to touch.
    """
    if not path.parent.is_dir():
        return
    for stale in path.parent.glob(f".{path.name}.*{TEMP_SUFFIX}"):
        pid = stale.name[len(path.name) + 2:].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
            continue
        stale.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def atomic_write(path: Path, data: bytes, mode: int) -> None:
    """Replace ``path`` with ``data`` all at once: temp file, fsync, rename, fsync the folder.

    The temp file is created 0600 in the target's own folder (rename is atomic
    only within one file system) and gets ``mode`` before it takes the name.
    """
    import tempfile

    make_private_dir(path.parent)
    descriptor, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.",
                                                suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(descriptor, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
            os.fchmod(temp.fileno(), mode)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
