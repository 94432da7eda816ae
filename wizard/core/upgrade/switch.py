"""The compose override that moves services to their new volumes, and the one that puts the old config back.

The switch is a file the launcher owns, ``.launcher/upgrade.yml``: it redeclares each
moved compose volume as the new (external) volume. ComposeEngine adds it after the
group files, so `launcher up` and the command `by_hand` prints
(`docker compose ... -f compose/db.yml -f .launcher/upgrade.yml`) both keep using the
new volume; the stack's own compose files are never edited.

Rolling back uses a second, temporary override with each changed service's previous
image and healthcheck, read from the container that ran before the upgrade, and no
volume switch: the services come back exactly on their old volumes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


def write_switch(path: Path, moved: dict[str, str]) -> None:
    """``moved``: compose volume key -> the new volume's name. Written whole or not at all."""
    document = {"volumes": {key: {"name": name, "external": True} for key, name in moved.items()}}
    _write(path, document)


def switched_volumes(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    return {key: spec["name"] for key, spec in (json.loads(path.read_text()).get("volumes") or {}).items()}


def write_previous(path: Path, containers: dict) -> None:
    """An override restoring each service's image and healthcheck as its container ran them."""
    services = {}
    for service, container in containers.items():
        config = container.attrs.get("Config") or {}
        services[service] = {"image": config.get("Image", ""), "healthcheck": _healthcheck(config.get("Healthcheck"))}
    _write(path, {"services": services})


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


def _write(path: Path, document: dict) -> None:
    # JSON is YAML: compose reads it, and no quoting rule of YAML can bite a volume name.
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(document, indent=2) + "\n")
    os.replace(partial, path)
