"""The upgrade's journal: what a SIGKILL'd upgrade had done, so the next run can undo it.

Written (atomically, 0600: it holds the previous config, secrets included) before the
first change and again before each step that changes more; removed when the upgrade ends
either way. While it exists `launcher up` refuses to start, and `launcher upgrade` rolls
the interrupted run back first (rollback.py), so a stack is never left half on each version.

Fields: phase ("copy": new volumes being written, nothing switched; "switched": the
override names the new volumes and services may run the new config), new_volumes (each
named before it is created), services, override_before (the switch file's text, or
None), previous (switch.previous_config), snapshot.
"""

from __future__ import annotations

import json
from pathlib import Path

from wizard.core.docker.composeengine import UPGRADE_JOURNAL
from wizard.core.support.files import atomic_write


def read_journal(root: Path) -> dict | None:
    try:
        return json.loads((root / UPGRADE_JOURNAL).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def write_journal(root: Path, journal: dict) -> None:
    atomic_write(root / UPGRADE_JOURNAL, json.dumps(journal).encode(), 0o600)


def clear_journal(root: Path) -> None:
    (root / UPGRADE_JOURNAL).unlink(missing_ok=True)
