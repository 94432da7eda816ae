"""The upgrade plan: each service whose image changes, each Postgres data volume whose major changes.

"Now" is what the containers run (their image as created); "next" is the compose model
of the current files. PG_VERSION is read from the volume itself by a throwaway
container of the image already running (local, never pulled), and the target major is
what the new image's own `postgres --version` says, so a tag's name is never trusted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wizard.core.support.errors import PreflightFailed

PGDATA = "/var/lib/postgresql/data"
PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"


@dataclass(frozen=True)
class ImageChange:
    service: str
    old: str
    new: str


@dataclass(frozen=True)
class MajorChange:
    """A Postgres data volume whose server moves from one major version to another."""

    service: str
    volume: str
    old_major: int
    new_major: int
    old_image: str
    new_image: str


@dataclass(frozen=True)
class UpgradePlan:
    images: tuple[ImageChange, ...]
    majors: tuple[MajorChange, ...]

    @property
    def empty(self) -> bool:
        return not self.images

    def to_dict(self) -> dict:
        return {"images": [vars(change) for change in self.images], "majors": [vars(change) for change in self.majors]}


def running_containers(client, project: str) -> dict:
    """Service -> its (first) container of the compose project, any state."""
    found = client.containers.list(all=True, filters={"label": f"{PROJECT_LABEL}={project}"})
    return {container.labels.get(SERVICE_LABEL, ""): container for container in sorted(found, key=lambda c: c.name)}


def pgdata_volume(container) -> str | None:
    """The named volume mounted as the Postgres data directory, if any."""
    for mount in container.attrs.get("Mounts") or []:
        if mount.get("Type") == "volume" and mount.get("Destination") == PGDATA:
            return mount.get("Name")
    return None


def volume_major(client, image: str, volume: str) -> int:
    """PG_VERSION of a data volume, read read-only by a container of ``image`` (already local)."""
    out = client.containers.run(image, ["cat", f"{PGDATA}/PG_VERSION"], entrypoint=[], remove=True,
                                volumes={volume: {"bind": PGDATA, "mode": "ro"}}, network_mode="none")
    return int(out.decode().strip().split(".")[0])


def image_major(client, image: str) -> int:
    """The major version of the server an image ships, from its own `postgres --version`."""
    from docker.errors import ImageNotFound

    try:
        out = client.containers.run(image, ["postgres", "--version"], entrypoint=[], remove=True, network_mode="none")
    except ImageNotFound:
        raise PreflightFailed(f"image {image} is not on this machine",
                              "build or load it (`launcher images`), then run the upgrade again") from None
    match = re.search(r"\(PostgreSQL\) (\d+)", out.decode())
    if not match:
        raise PreflightFailed(f"image {image} does not say which PostgreSQL it ships (`postgres --version`)",
                              "check the image the compose files name")
    return int(match.group(1))


def make_plan(stack, engine) -> UpgradePlan:
    """Compare what runs with what the compose files say; changes nothing."""
    client = engine.client
    containers = running_containers(client, engine.project)
    images: list[ImageChange] = []
    majors: list[MajorChange] = []
    for spec in engine.model().services:
        container = containers.get(spec.name)
        if container is None or not spec.image:
            continue
        old = container.attrs.get("Config", {}).get("Image", "")
        if _image_id(client, spec.image) == container.attrs.get("Image"):
            continue
        images.append(ImageChange(service=spec.name, old=old, new=spec.image))
        volume = pgdata_volume(container)
        if volume is None:
            continue
        old_major = volume_major(client, container.attrs["Image"], volume)
        new_major = image_major(client, spec.image)
        if new_major != old_major:
            majors.append(MajorChange(service=spec.name, volume=volume, old_major=old_major, new_major=new_major,
                                      old_image=old, new_image=spec.image))
    return UpgradePlan(images=tuple(images), majors=tuple(majors))


def _image_id(client, reference: str) -> str | None:
    """The local image a reference names today (a moved tag is a change even under the same name)."""
    from docker.errors import ImageNotFound

    try:
        return client.images.get(reference).id
    except ImageNotFound:
        return None
