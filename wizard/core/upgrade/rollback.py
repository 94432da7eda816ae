"""Undo an upgrade from its journal: in the same run after a failure or Ctrl-C, or in the next run after a SIGKILL.

Each step tolerates what is already undone (a volume gone, a container removed), so a
rollback that is itself interrupted is simply run again. Order matters: the services come
back on their old volumes before the new volumes are removed, since a new volume cannot go
while a container of the new config still mounts it.
"""

from __future__ import annotations

from wizard.core.docker.composeengine import UPGRADE_OVERRIDE
from wizard.core.support.errors import LauncherError
from wizard.core.support.files import atomic_write
from wizard.exitcodes import ExitCode
from wizard.core.upgrade import switch
from wizard.core.upgrade.majors import TEMPORARY_LABEL
from wizard.core.upgrade.pgexec import last_line
from wizard.core.upgrade.journal import clear_journal

PREVIOUS_FILE = ".launcher/upgrade-previous.json"


class RollbackFailed(LauncherError):
    """The previous services did not come back; the journal stays for the next run."""

    exit_code = ExitCode.UNHEALTHY


def roll_back(engine, journal: dict, wait: str) -> None:
    """Put the stack back as the journal says it was; removes the journal last."""
    root = engine.stack.root
    client = engine.client
    for container in client.containers.list(all=True, filters={"label": f"{TEMPORARY_LABEL}={engine.project}"}):
        container.remove(force=True)
    override = root / UPGRADE_OVERRIDE
    if journal.get("override_before") is None:
        override.unlink(missing_ok=True)
    else:
        atomic_write(override, journal["override_before"].encode(), 0o600)
    if journal.get("phase") == "switched":
        bring_back(engine, journal["previous"], journal["services"], wait)
    for name in journal.get("new_volumes", []):
        for volume in client.volumes.list(filters={"name": name}):
            if volume.name == name:
                volume.remove(force=True)
    clear_journal(root)


def bring_back(engine, previous: dict, services: list[str], wait: str) -> None:
    """Recreate ``services`` as they ran before: the recorded config alone, or the stack's files plus an override."""
    path = engine.stack.root / PREVIOUS_FILE
    switch.write_document(path, previous["document"])
    try:
        files = [path] if previous["standalone"] else [*engine.compose_files(), path]
        result = engine.run_compose("up", "-d", "--force-recreate", "--no-deps", "--wait", "--wait-timeout", wait,
                                    *services, files=files, check=False)
    finally:
        path.unlink(missing_ok=True)
    if result.returncode != 0:
        said = last_line(result.stderr or result.stdout) or "they did not become healthy"
        raise RollbackFailed(f"{', '.join(services)} did not come back as they ran before: {said}",
                             "fix the cause, then run `launcher upgrade` again (an interrupted upgrade's journal "
                             "is kept, and the next run puts the stack back first)")
