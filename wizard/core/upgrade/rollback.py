"""Undo an upgrade from its journal: in the same run after a failure or Ctrl-C, or in the next run after a SIGKILL.

Each step tolerates what is already undone (a volume gone, a container removed), so a
rollback that is itself interrupted is simply run again. Order matters: the services come
back on their old volumes before the new volumes are removed, since a new volume cannot go
while a container of the new config still mounts it.

The journal says where to look; the engine decides (evidence.py). Before anything changes,
the switch it puts back and the config it starts are checked: the switch is rewritten from
its parsed volumes (what switch.write_switch writes), naming only this project's volumes;
the config asks for no mount, privilege or image the compose files and the upgrade's own
image pins do not give. A new volume goes only when its labels say this run made it and
no container uses it; any other stays, and is returned.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from wizard.core.docker.composeengine import UPGRADE_JOURNAL, UPGRADE_OVERRIDE
from wizard.core.docker.upgradestate import parse_switch
from wizard.core.support.errors import LauncherError
from wizard.exitcodes import ExitCode
from wizard.core.upgrade import evidence, switch
from wizard.core.upgrade.majors import TEMPORARY_LABEL
from wizard.core.upgrade.pgexec import last_line
from wizard.core.upgrade.journal import clear_journal

PREVIOUS_FILE = ".launcher/upgrade-previous.json"


class RollbackFailed(LauncherError):
    """The previous services did not come back; the journal stays for the next run."""

    exit_code = ExitCode.UNHEALTHY


def roll_back(engine, journal: dict, wait: str) -> list[evidence.Kept]:
    """Put the stack back as the journal says it was; removes the journal last. Returns the volumes kept."""
    root = engine.stack.root
    client = engine.client
    where = root / UPGRADE_JOURNAL
    before = parse_switch(journal["override_before"], where) if journal["override_before"] is not None else {}
    evidence.check_switch_volumes(client, engine.project, before, where)
    previous = None
    if journal["phase"] == "switched":
        evidence.check_previous(engine, journal["previous"], journal["services"], where, switch_before=before)
        previous = pinned_previous(client, engine.project, journal["previous"], journal["services"], where)
    for container in client.containers.list(all=True, filters={"label": f"{TEMPORARY_LABEL}={engine.project}"}):
        container.remove(force=True)
    override = root / UPGRADE_OVERRIDE
    if before:
        switch.write_switch(override, before)
    else:
        override.unlink(missing_ok=True)
    if previous is not None:
        bring_back(engine, previous, journal["services"], wait)
        switch.release_unused_pins(client, engine.project)
    kept = []
    began = None if journal.get("upgrade_id") else _snapshot_taken(engine.stack, journal["snapshot"])
    for name in journal["new_volumes"]:
        verdict = evidence.new_volume_verdict(client, name, engine.project, journal.get("upgrade_id"), began)
        if verdict is not None:
            kept.append(verdict)
            continue
        volume = evidence.find_volume(client, name)
        if volume is not None:
            volume.remove()
    clear_journal(root)
    return kept


def _snapshot_taken(stack, path: str) -> datetime | None:
    """When the run's snapshot began, for a journal of an older launcher (no upgrade id): only a snapshot
    of this stack, in its own folder, that passes its own hash check; otherwise None (nothing proven)."""
    from wizard.core.snapshots.manifest import load, snapshots_dir
    from wizard.core.support.errors import SnapshotInvalid

    folder = Path(path)
    if not path or folder.parent.resolve() != snapshots_dir(stack).resolve():
        return None
    try:
        taken = datetime.fromisoformat(load(folder).manifest["created"])
    except (SnapshotInvalid, ValueError):
        return None
    return taken if taken.tzinfo is not None else None


def pinned_previous(client, project: str, previous: dict, services: list[str], where) -> dict:
    """``previous`` with each service's image the one that ran, as its pin shows: a reference that names
    another image by now (a tag moved, or a journal edited) is replaced by the pin; no pin, no start."""
    from docker.errors import APIError, ImageNotFound

    document = previous["document"]
    services_doc = dict(document["services"])
    for service in services:
        pin = switch.pin_name(project, service)
        try:
            ran = client.images.get(pin).id
        except ImageNotFound:
            raise evidence.UpgradeStateInvalid(
                f"refused: no image pin {pin} shows which image {service} ran before the upgrade",
                evidence.REFUSED_HINT, where=str(where)) from None
        named = services_doc[service].get("image")
        try:
            same = isinstance(named, str) and client.images.get(named).id == ran
        except APIError:  # not here, or not a reference at all
            same = False
        services_doc[service] = {**services_doc[service], "image": named if same else pin, "pull_policy": "never"}
    return {**previous, "document": {**document, "services": services_doc}}


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
