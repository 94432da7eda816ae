"""Folders the launcher creates: private (0700) whatever the umask."""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_DIR_MODE = 0o700


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
