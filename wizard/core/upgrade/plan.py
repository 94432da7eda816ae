"""The upgrade plan: each service whose image changes, each Postgres data volume whose major changes.

"Now" is what the containers run (their image as created); "next" is the compose model
of the current files. PG_VERSION is read from the volume itself, and the target major
is what the new image's own `postgres --version` says (``wizard.core.docker.pgdata``,
which `up` uses too to refuse a volume its image cannot run).
"""

from __future__ import annotations

from dataclasses import dataclass

from wizard.core.docker.pgdata import pgdata_volume, read_majors

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
        volume = pgdata_volume(container.attrs.get("Mounts"))
        if volume is None:
            continue
        old_major, new_major = read_majors(client, spec.image, volume)
        if old_major is not None and new_major != old_major:
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
