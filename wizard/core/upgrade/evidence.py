"""What the engine must show before a rollback or `upgrade --finish` deletes a volume or starts a recorded config.

The journal and the switch file are notes: they say where to look, never what to delete.
A volume goes only when the labels it got at creation say this stack's upgrade made it
(the project's label, ``launcher.upgrade.from``, and for a new volume this run's
``launcher.upgrade.id``) and no container uses it. A recorded config is started only when
it asks for nothing the compose files do not: no mount, volume, device or privilege of its
own, and the image that ran (its pin, which the upgrade tagged from the running container).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from wizard.core.docker.containers import PROJECT_LABEL
from wizard.core.docker.upgradestate import UPGRADE_OVERRIDE, UpgradeStateInvalid

# On each new volume: the volume it was copied from, kept until `upgrade --finish`.
FROM_LABEL = "launcher.upgrade.from"
# On each new volume: the run that created it (the journal's upgrade_id).
UPGRADE_ID_LABEL = "launcher.upgrade.id"
# Keys of a service that reach the host or widen what a container may do: a recorded config
# starts only with the compose model's own value of each.
HOST_KEYS = ("volumes_from", "devices", "privileged", "cap_add", "security_opt", "pid", "ipc", "network_mode",
             "userns_mode", "cgroup", "cgroup_parent", "build", "extends", "secrets", "configs", "device_cgroup_rules",
             "gpus", "runtime", "storage_opt")
TOP_LEVEL = {"name", "services", "volumes", "networks", "secrets", "configs"}
REFUSED_HINT = ("the launcher starts only what the compose files allow: put back the file it wrote, or move it "
                "away and start the stack from its compose files")


@dataclass(frozen=True)
class Kept:
    """A volume a note named that the engine does not show as the upgrade's: it stays."""

    volume: str
    reason: str  # "foreign": not this project's upgrade volume; "earlier": not made by this run; "in-use"


def find_volume(client, name: str):
    """The volume of exactly this name, or None (the engine's name filter matches a part of a name)."""
    return next((volume for volume in client.volumes.list(filters={"name": name}) if volume.name == name), None)


def users(client, name: str) -> list[str]:
    """Every container, in any state, that mounts the volume.

    Sparse: the list call's own summaries, so a container removed meanwhile (by anyone) is no error.
    """
    found = client.containers.list(all=True, sparse=True, filters={"volume": name})
    return sorted((container.attrs.get("Names") or [container.id])[0].lstrip("/") for container in found
                  if any(mount.get("Name") == name for mount in container.attrs.get("Mounts") or ()))


def new_volume_verdict(client, name: str, project: str, upgrade_id: str | None,
                       began: datetime | None = None) -> Kept | None:
    """None when the volume is this run's and unused (or already gone); otherwise why it stays.

    ``upgrade_id`` is the journal's; a journal an older launcher wrote has none, and neither have
    the volumes it made: such a volume is the run's when the engine created it after ``began``
    (when the run's snapshot was taken, before its journal), so it was absent before the run.
    """
    volume = find_volume(client, name)
    if volume is None:
        return None
    labels = volume.attrs.get("Labels") or {}
    if labels.get(PROJECT_LABEL) != project or not labels.get(FROM_LABEL):
        return Kept(name, "foreign")
    if upgrade_id:
        if labels.get(UPGRADE_ID_LABEL) != upgrade_id:
            return Kept(name, "earlier")
    elif UPGRADE_ID_LABEL in labels or began is None or not created_after(volume, began):
        return Kept(name, "earlier")
    if users(client, name):
        return Kept(name, "in-use")
    return None


def created_after(volume, moment: datetime) -> bool:
    try:
        created = datetime.fromisoformat(str(volume.attrs.get("CreatedAt")))
        return created.tzinfo is not None and created > moment
    except ValueError:
        return False


def old_volumes_kept(client, project: str, switched: dict[str, str]) -> list[str]:
    """The old volumes an upgrade kept that may go: each new volume the switch names shows, by its own labels,
    that an upgrade of this project made it from that old volume; the old one is this project's and unused."""
    pending = []
    for new_name in switched.values():
        new = find_volume(client, new_name)
        labels = (new.attrs.get("Labels") or {}) if new is not None else {}
        old_name = labels.get(FROM_LABEL)
        if labels.get(PROJECT_LABEL) != project or not labels.get(UPGRADE_ID_LABEL) or not old_name:
            continue
        old = find_volume(client, old_name)
        if (old is None or old_name in switched.values() or old_name in pending
                or (old.attrs.get("Labels") or {}).get(PROJECT_LABEL) != project or users(client, old_name)):
            continue
        pending.append(old_name)
    return pending


def check_switch_volumes(client, project: str, switched: dict[str, str], where: Path) -> None:
    """A switch put back by a rollback names only volumes of this project."""
    for key, name in switched.items():
        volume = find_volume(client, name)
        if volume is None or (volume.attrs.get("Labels") or {}).get(PROJECT_LABEL) != project:
            raise UpgradeStateInvalid(f"the switch it would put back moves {key} to {name}, which is not a volume "
                                      f"of project {project}", REFUSED_HINT, where=str(where))


def check_previous(engine, previous: dict, services: list[str], where: Path, *,
                   switch_before: dict[str, str]) -> None:
    """Refuse a recorded config that asks for more than the compose model gives ``services``."""
    model = _base_config(engine)
    modelled = model.get("services") or {}
    document = previous["document"]
    for name in services:
        if name not in modelled:
            raise _refused(where, f"it would start {name}, which the compose files do not define")
    if not previous["standalone"]:
        # An override over the stack's own files: only what switch.previous_config writes.
        for name, spec in document["services"].items():
            if set(document) != {"services"} or name not in services or \
                    not set(spec) <= {"image", "pull_policy", "healthcheck"}:
                raise _refused(where, f"its override for {name} sets more than the image and healthcheck")
        return
    if not set(document) <= TOP_LEVEL:
        raise _refused(where, f"its config has top-level {sorted(set(document) - TOP_LEVEL)[:3]}")
    for name in services:
        _check_service(name, document, model, where, switch_before)


def _check_service(name: str, document: dict, model: dict, where: Path, switch_before: dict[str, str]) -> None:
    service, modelled = document["services"][name], model["services"][name]
    for key in HOST_KEYS:
        if service.get(key) is not None and service.get(key) != modelled.get(key):
            raise _refused(where, f"{name}'s {key} differs from the compose files'")
    for section in ("secrets", "configs"):
        for use in service.get(section) or ():
            source = use.get("source") if isinstance(use, dict) else use
            if not isinstance(source, str) or \
                    (document.get(section) or {}).get(source) != (model.get(section) or {}).get(source):
                raise _refused(where, f"{name}'s {section[:-1]} {source} differs from the compose files'")
    for mount in service.get("volumes") or ():
        if mount not in (modelled.get("volumes") or ()):
            raise _refused(where, f"{name} mounts {mount.get('source') or 'a volume'} at {mount.get('target')}, "
                                  "which the compose files do not")
        if mount.get("type") == "volume" and mount.get("source"):  # equal to the model's: a string
            _check_volume(str(mount["source"]), document, model, where, switch_before)


def _check_volume(key: str, document: dict, model: dict, where: Path, switch_before: dict[str, str]) -> None:
    spec = (document.get("volumes") or {}).get(key) or {}
    modelled = (model.get("volumes") or {}).get(key) or {}
    # Its name as the compose files make it, or as the switch the upgrade found had moved it.
    names = {modelled.get("name") or key, switch_before.get(key)}
    name = spec.get("name") or key
    if not isinstance(name, str) or name not in names or any(
            spec[field] != modelled.get(field) for field in spec if field not in ("name", "external", "labels")):
        raise _refused(where, f"its volume {key} is not the one the compose files name")


def _base_config(engine) -> dict:
    """The compose model of the stack's own files, without the launcher's switch."""
    import json

    switch = engine.stack.root / UPGRADE_OVERRIDE
    files = [path for path in engine.compose_files() if path != switch]
    return json.loads(engine.run_compose("config", "--format", "json", files=files).stdout)


def _refused(where: Path, what: str) -> UpgradeStateInvalid:
    return UpgradeStateInvalid(f"refused: {what}", REFUSED_HINT, where=str(where))
