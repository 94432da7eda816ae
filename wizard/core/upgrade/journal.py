"""The upgrade's journal: what a SIGKILL'd upgrade had done, so the next run can undo it.

Written (atomically, 0600: it holds the previous config, secrets included) before the
first change and again before each step that changes more; removed when the upgrade ends
either way. While it exists `launcher up` refuses to start, and `launcher upgrade` rolls
the interrupted run back first (rollback.py), so a stack is never left half on each version.

Fields: phase ("copy": new volumes being written, nothing switched; "switched": the
override names the new volumes and services may run the new config), upgrade_id (the
label each new volume gets at creation: only a volume carrying it is this run's),
new_volumes (each named once the engine showed it absent, before it is created),
services, override_before (the switch file's text, or None), previous
(switch.previous_config), snapshot. Read back only through the strict reader
(docker/upgradestate.py); what it may delete or start, the engine decides (evidence.py).
"""

from __future__ import annotations

import json
from pathlib import Path

from wizard.core.docker.upgradestate import UPGRADE_JOURNAL, read_journal
from wizard.core.support.files import atomic_write

__all__ = ["read_journal", "write_journal", "clear_journal"]


def write_journal(root: Path, journal: dict) -> None:
    atomic_write(root / UPGRADE_JOURNAL, json.dumps(journal).encode(), 0o600)


def clear_journal(root: Path) -> None:
    (root / UPGRADE_JOURNAL).unlink(missing_ok=True)
