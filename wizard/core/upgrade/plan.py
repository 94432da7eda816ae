"""The upgrade plan: each service whose image changes, each Postgres data volume whose major changes.

"Now" is what the containers run (their image as created) and the resolved config the
last successful `up` recorded (uprecord.py); "next" is the compose model and resolved
config of the current files, so a service whose environment, command or healthcheck
changed under the same image is a change too. PG_VERSION is read from the volume itself,
and the target major is what the new image's own `postgres --version` says
(``wizard.core.docker.pgdata``, which `up` uses too to refuse a volume its image cannot run).
"""

from __future__ import annotations

from dataclasses import dataclass

from wizard.core.docker.containers import PROJECT_LABEL, SERVICE_LABEL
from wizard.core.docker.pgdata import PGDATA, pgdata_volume, read_majors
from wizard.core.docker.uprecord import recorded_services
from wizard.core.support.errors import PreflightFailed
from wizard.core.upgrade.pgexec import databases, psql, run_in

MARGIN_BYTES = 256 * 1000 * 1000


@dataclass(frozen=True)
class ImageChange:
    service: str
    old: str
    new: str


@dataclass(frozen=True)
class ConfigChange:
    """A service whose resolved config differs from the last `up`'s: the top-level keys that differ, never values."""

    service: str
    keys: tuple[str, ...]


@dataclass(frozen=True)
class MajorChange:
    """A Postgres data volume whose server moves from one major version to another."""

    service: str
    volume: str
    old_major: int
    new_major: int
    old_image: str
    new_image: str
    database_bytes: int = 0  # every database of the old server
    free_bytes: int = 0  # on the file system holding its volume

    @property
    def needed_bytes(self) -> int:
        """Room for the dump passing through and the new cluster, with a margin for indexes and WAL."""
        return 2 * self.database_bytes + max(MARGIN_BYTES, self.database_bytes // 10)


@dataclass(frozen=True)
class UpgradePlan:
    images: tuple[ImageChange, ...]
    majors: tuple[MajorChange, ...]
    configs: tuple[ConfigChange, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.images and not self.configs

    @property
    def services(self) -> list[str]:
        """Every service the upgrade recreates, in the compose model's order of the plan."""
        changed = [change.service for change in self.images]
        return changed + [change.service for change in self.configs if change.service not in changed]

    def to_dict(self) -> dict:
        return {"images": [vars(change) for change in self.images], "majors": [vars(change) for change in self.majors],
                "configs": [{"service": change.service, "keys": list(change.keys)} for change in self.configs]}


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
    configs: list[ConfigChange] = []
    recorded = recorded_services(stack.root)
    resolved = engine.resolved_config().get("services") or {}
    for spec in engine.model().services:
        container = containers.get(spec.name)
        if container is None or not spec.image:
            continue
        if spec.name in recorded:
            keys = _differing_keys(recorded[spec.name], resolved.get(spec.name) or {})
            if keys:
                configs.append(ConfigChange(service=spec.name, keys=keys))
        old = container.attrs.get("Config", {}).get("Image", "")
        if _image_id(client, spec.image) == container.attrs.get("Image"):
            continue
        images.append(ImageChange(service=spec.name, old=old, new=spec.image))
        volume = pgdata_volume(container.attrs.get("Mounts"))
        if volume is None:
            continue
        old_major, new_major = read_majors(client, spec.image, volume)
        if old_major is not None and new_major != old_major:
            _refuse_missing_extensions(client, container, spec.image, new_major)
            majors.append(MajorChange(service=spec.name, volume=volume, old_major=old_major, new_major=new_major,
                                      old_image=old, new_image=spec.image, database_bytes=_database_bytes(container),
                                      free_bytes=_free_bytes(container)))
    return UpgradePlan(images=tuple(images), majors=tuple(majors), configs=tuple(configs))


def room_short(plan: UpgradePlan) -> str:
    """Empty when the disk holds every major move; otherwise the figures that say why not."""
    needed = sum(change.needed_bytes for change in plan.majors)
    free = min((change.free_bytes for change in plan.majors), default=0)
    if not plan.majors or needed <= free:
        return ""
    sizes = " + ".join(f"{change.database_bytes / 1e6:.0f} MB ({change.service})" for change in plan.majors)
    return (f"not enough disk space for the upgrade: it needs {needed / 1e6:.0f} MB (twice the databases, {sizes}, "
            f"plus a margin) and {free / 1e6:.0f} MB is free where the volumes live")


def _running(container) -> None:
    if container.status != "running":
        raise PreflightFailed(f"{container.name} is not running: the upgrade copies its data from the running server",
                              f"start it (`docker start {container.name}`), then plan again")


def _database_bytes(container) -> int:
    _running(container)
    return int(psql(container, "postgres", "SELECT sum(pg_database_size(datname)) FROM pg_database") or 0)


def _free_bytes(container) -> int:
    # df in the server's own container: its data directory sits on the file system that holds volumes.
    fields = run_in(container, ["df", "-Pk", PGDATA], "df").decode().splitlines()[-1].split()
    return int(fields[3]) * 1024


def _refuse_missing_extensions(client, container, new_image: str, new_major: int) -> None:
    """Every extension installed in any database of the old server must ship with the new image."""
    _running(container)
    installed: dict[str, list[str]] = {}
    for database in databases(container):
        for name in psql(container, database, "SELECT extname FROM pg_extension ORDER BY 1").splitlines():
            installed.setdefault(name, []).append(database)
    listing = client.containers.run(new_image, ["sh", "-c", 'ls "$(pg_config --sharedir)/extension"'], entrypoint=[],
                                    remove=True, network_mode="none").decode()
    shipped = {name.removesuffix(".control") for name in listing.split() if name.endswith(".control")}
    missing = sorted(set(installed) - shipped)
    if missing:
        where = ", ".join(f"{name} (in {', '.join(installed[name])})" for name in missing)
        raise PreflightFailed(f"the new image {new_image} (PostgreSQL {new_major}) does not ship extension(s) {where}",
                              "drop them, or name an image that ships them; nothing was changed")


def _differing_keys(before: dict, after: dict) -> tuple[str, ...]:
    # The image is the ImageChange's business: a tag may name a new image with the same words.
    return tuple(sorted(key for key in before.keys() | after.keys() if key != "image" and before.get(key) != after.get(key)))


def _image_id(client, reference: str) -> str | None:
    """The local image a reference names today (a moved tag is a change even under the same name)."""
    from docker.errors import ImageNotFound

    try:
        return client.images.get(reference).id
    except ImageNotFound:
        return None
