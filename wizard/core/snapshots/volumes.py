"""Named volumes as tar archives, through a short-lived helper container.

The helper is created from an image already on the machine (the image of a
service that mounts the volume, else any local image; never pulled) and never
started: Docker's archive API reads and writes the files of a created container,
volumes included, so the image needs no tar, no shell, nothing. The tar keeps
owners, modes and times as the engine stores them.

A volume is restored by removing it and creating it again with its own driver,
options and labels (so Compose still sees its own volume), then unpacking the
archive into it: nothing of the old content survives.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping, Sequence

from wizard.core.errors import PreflightFailed

MOUNT = "/snapshot-volume"
PROJECT_LABEL = "com.docker.compose.project"
VOLUME_LABEL = "com.docker.compose.volume"
SERVICE_LABEL = "com.docker.compose.service"


@dataclass
class VolumeUse:
    """One named volume of the project: its compose key and the services mounting it (and where)."""

    name: str
    key: str
    mounts: dict[str, str] = field(default_factory=dict)  # service -> target path in the container

    @property
    def services(self) -> list[str]:
        return sorted(self.mounts)

    @property
    def part_name(self) -> str:
        return f"volume-{self.name}.tar"


def compose_config(engine) -> dict[str, Any]:
    """The merged compose model of every profile (volumes, mounts and images are what we need)."""
    return json.loads(engine.run_compose("config", "--format", "json", profiles=["*"]).stdout)


def declared(config: Mapping[str, Any], project: str) -> dict[str, VolumeUse]:
    """Every named volume the compose files declare (every profile), by its full engine name."""
    keys = {key: (spec or {}).get("name") or f"{project}_{key}"
            for key, spec in (config.get("volumes") or {}).items() if not (spec or {}).get("external")}
    uses = {name: VolumeUse(name=name, key=key) for key, name in keys.items()}
    for service, spec in (config.get("services") or {}).items():
        for mount in spec.get("volumes") or []:
            if mount.get("type") == "volume" and mount.get("source") in keys:
                uses[keys[mount["source"]]].mounts[service] = mount.get("target", "")
    return uses


def in_project(volumes: Sequence[Mapping[str, Any]], summaries: Sequence[Mapping[str, Any]]) -> list[VolumeUse]:
    """The project's existing volumes, each with the services whose containers mount it."""
    uses = {volume["Name"]: VolumeUse(name=volume["Name"], key=(volume.get("Labels") or {}).get(VOLUME_LABEL, ""))
            for volume in volumes}
    for summary in summaries:
        service = (summary.get("Labels") or {}).get(SERVICE_LABEL, "")
        for mount in summary.get("Mounts") or []:
            if mount.get("Type") == "volume" and mount.get("Name") in uses:
                uses[mount["Name"]].mounts[service] = mount.get("Destination", "")
    return [uses[name] for name in sorted(uses)]


def existing(client, project: str) -> set[str]:
    return {volume.name for volume in client.volumes.list(filters={"label": f"{PROJECT_LABEL}={project}"})}


def helper_image(client, services: Sequence[str], images_of: Mapping[str, str]) -> str:
    """A local image for the helper: a mounting service's own, else any image the engine has."""
    import docker.errors

    for service in services:
        image = images_of.get(service)
        if image:
            try:
                client.images.get(image)
                return image
            except docker.errors.ImageNotFound:
                continue
    for image in client.images.list():
        if image.tags:
            return image.tags[0]
        return image.id
    raise PreflightFailed("no image on this machine to run the volume helper container from",
                          "run `launcher up` once (it builds or loads the stack's images), then try again")


def archive(client, volume: str, image: str) -> Iterator[bytes]:
    """The volume's files as one tar stream (entries under the folder name of MOUNT)."""
    helper = _helper(client, volume, image, read_only=True)
    try:
        stream, _stat = helper.get_archive(MOUNT)
        yield from stream
    finally:
        helper.remove(force=True)


def replace(client, volume: str, key: str, project: str, image: str, chunks: Iterable[bytes]) -> None:
    """Empty the volume (remove and recreate it as it was) and unpack the archive into it."""
    import docker.errors

    try:
        old = client.volumes.get(volume)
        attrs: dict[str, Any] = old.attrs
        old.remove()
    except docker.errors.NotFound:
        attrs = {"Driver": "local", "Options": None,
                 "Labels": {PROJECT_LABEL: project, VOLUME_LABEL: key}}
    client.volumes.create(name=volume, driver=attrs.get("Driver") or "local",
                          driver_opts=attrs.get("Options") or None, labels=attrs.get("Labels") or None)
    helper = _helper(client, volume, image, read_only=False)
    try:
        # The archive's top folder is MOUNT's own name: unpacked at "/", it lands in the volume.
        if not helper.put_archive("/", _stream(chunks)):
            raise PreflightFailed(f"the engine refused to unpack the archive into volume {volume}",
                                  "check the engine's log (journalctl -u docker)")
    finally:
        helper.remove(force=True)


def in_use_by(client, volume: str) -> list[Any]:
    """Containers (any state) that mount the volume: they must go before it can be recreated."""
    return client.containers.list(all=True, filters={"volume": volume})


def _helper(client, volume: str, image: str, *, read_only: bool):
    # Never started: the command is only there because the engine wants one.
    return client.containers.create(image, command=["true"], entrypoint=[], network_disabled=True,
                                    labels={"launcher.snapshot-helper": "true"},
                                    volumes={volume: {"bind": MOUNT, "mode": "ro" if read_only else "rw"}})


def _stream(chunks: Iterable[bytes]) -> Iterator[bytes]:
    # requests sends a generator as a chunked body, so a large archive never sits in memory.
    for data in chunks:
        if data:
            yield data
