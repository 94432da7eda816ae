"""The compose override that moves services to their new volumes, and the one that puts the old config back.

The switch is a file the launcher owns, ``.launcher/upgrade.yml``: it redeclares each
moved compose volume as the new (external) volume. ComposeEngine adds it after the
group files, so `launcher up` and the command `by_hand` prints
(`docker compose ... -f compose/db.yml -f .launcher/upgrade.yml`) both keep using the
new volume; the stack's own compose files are never edited.

Rolling back brings the services back from the config the last `up` recorded
(uprecord.py), a whole compose file by itself; a stack with no record yet gets an
override of each changed service's previous image and healthcheck, read from the
container that ran before the upgrade. Neither switches a volume: the services come back
exactly on their old volumes.
"""

from __future__ import annotations

import json
from pathlib import Path

from wizard.core.docker.containers import PROJECT_LABEL
from wizard.core.docker.upgradestate import read_switch
from wizard.core.support.files import atomic_write


PINNED = "launcher-previous"


def write_switch(path: Path, moved: dict[str, str]) -> None:
    """``moved``: compose volume key -> the new volume's name. Written whole or not at all."""
    document = {"volumes": {key: {"name": name, "external": True} for key, name in moved.items()}}
    write_document(path, document)


def switched_volumes(root: Path) -> dict[str, str]:
    """What the stack's switch file moved, read strictly (docker/upgradestate.py): a wrong one is refused."""
    return read_switch(root)


def previous_config(recorded: dict | None, containers: dict, pinned: dict[str, str]) -> dict:
    """How ``containers``' services come back: {"standalone": bool, "document": a compose document}.

    Standalone: the last `up`'s recorded config, used as the only compose file. Otherwise an
    override, over the stack's own files, restoring each image and healthcheck as it ran.
    Either way each image is the one ``pinned`` (pin_previous_images): the image that ran,
    by id, even when its tag has moved to the new one since.
    """
    if recorded and set(containers) <= set(recorded.get("services") or {}):
        services = dict(recorded["services"])
        for service in containers:
            services[service] = {**services[service], "image": pinned[service], "pull_policy": "never"}
        return {"standalone": True, "document": {**recorded, "services": services}}
    services = {}
    for service, container in containers.items():
        config = container.attrs.get("Config") or {}
        services[service] = {"image": pinned[service], "pull_policy": "never",
                             "healthcheck": _healthcheck(config.get("Healthcheck"))}
    return {"standalone": False, "document": {"services": services}}


def pin_previous_images(client, project: str, containers: dict) -> dict[str, str]:
    """The reference that brings back the image each container runs; returns service -> reference.

    Each image that runs is tagged by id as launcher-previous/<project>-<service>:upgrade (which
    also keeps `docker image prune` off it): the engine's own word, for the rollback, of what ran
    (rollback.pinned_previous). The config names the container's own reference while that still
    names the same image (it comes back exactly as it was); a tag such as `postgres:15` or
    `latest` may name the new image by now, and then the config names the pin, which stays while
    a rolled-back container runs it.
    """
    from docker.errors import ImageNotFound

    pinned = {}
    for service, container in containers.items():
        reference = (container.attrs.get("Config") or {}).get("Image", "")
        pin = pin_name(project, service)
        client.images.get(container.attrs["Image"]).tag(*pin.rsplit(":", 1))
        try:
            same = client.images.get(reference).id == container.attrs["Image"]
        except ImageNotFound:
            same = False
        pinned[service] = reference if same else pin
    return pinned


def pin_name(project: str, service: str) -> str:
    return f"{PINNED}/{project}-{service}".lower() + ":upgrade"


def unpin_previous_images(client, project: str) -> None:
    """Remove the tags pin_previous_images made, once an upgrade succeeded (no container runs them)."""
    for tag in _pins(client, project):
        client.images.remove(tag, noprune=True)


def release_unused_pins(client, project: str) -> None:
    """After a rollback: the pins no container of the project runs under go; one a rolled-back container runs stays."""
    # Sparse: the list call's summaries (their "Image" is the reference a container was created with),
    # so a container removed meanwhile is no error.
    found = client.containers.list(all=True, sparse=True, filters={"label": f"{PROJECT_LABEL}={project}"})
    running = {container.attrs.get("Image") for container in found}
    for tag in _pins(client, project):
        if tag not in running:
            client.images.remove(tag, noprune=True)


def _pins(client, project: str) -> list[str]:
    prefix = f"{PINNED}/{project}-".lower()
    return [tag for image in client.images.list(filters={"reference": f"{prefix}*"}) for tag in image.tags
            if tag.startswith(prefix)]


def _healthcheck(check: dict | None) -> dict:
    if not check or not check.get("Test") or check["Test"] == ["NONE"]:
        return {"disable": True}
    # The engine keeps durations in nanoseconds; "ns" is a Go duration unit compose reads.
    spec: dict = {"test": check["Test"]}
    for field, key in (("Interval", "interval"), ("Timeout", "timeout"), ("StartPeriod", "start_period")):
        if check.get(field):
            spec[key] = f"{check[field]}ns"
    if check.get("Retries"):
        spec["retries"] = check["Retries"]
    return spec


def write_document(path: Path, document: dict) -> None:
    # JSON is YAML: compose reads it, and no quoting rule of YAML can bite a volume name.
    # 0600: a recorded config holds resolved secrets.
    atomic_write(path, (json.dumps(document, indent=2) + "\n").encode(), 0o600)
