"""Volumes (named and anonymous) as tar archives, through a short-lived helper container.

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
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping, Sequence

from wizard.core.docker.containers import PROJECT_LABEL, SERVICE_LABEL
from wizard.core.docker.protocol import DirectEngine
from wizard.core.snapshots.archivenames import under_folder
from wizard.core.support.errors import PreflightFailed, SnapshotInvalid

MOUNT = "/snapshot-volume"
ASIDE_MOUNT = "/launcher-aside"  # where an aside copy is mounted (asides.py)
HELPER_LABEL = "launcher.snapshot-helper"
# The engine names an anonymous volume with 64 hex digits.
ANONYMOUS = re.compile(r"[0-9a-f]{64}")
VOLUME_LABEL = "com.docker.compose.volume"


@dataclass
class VolumeUse:
    """One volume of the project: its compose key and the services mounting it (and where).

    An anonymous volume (an image's VOLUME, or a bare ``- /path`` in a compose file) has no
    key and a random name that changes whenever its container is created anew: it is known
    by its one service and mount path instead, and restored into whatever volume that
    service's container has there at the time.
    """

    name: str
    key: str
    mounts: dict[str, str] = field(default_factory=dict)  # service -> target path in the container
    anonymous: bool = False

    @property
    def services(self) -> list[str]:
        return sorted(self.mounts)

    @property
    def part_name(self) -> str:
        from wizard.core.snapshots.manifest import part_name

        if self.anonymous:
            (service, mount), = self.mounts.items()
            return part_name("volume-anonymous-", re.sub(r"[^A-Za-z0-9._-]", "_", f"{service}{mount}"), ".tar")
        return part_name("volume-", self.name, ".tar")

    def about(self) -> dict[str, Any]:
        """What the manifest records of the volume, to find it again at restore."""
        about: dict[str, Any] = {"kind": "volume", "volume": self.name, "key": self.key, "services": self.services}
        if self.anonymous:
            about.update(anonymous=True, service=self.services[0], mount=self.mounts[self.services[0]])
        return about


def compose_config(engine: DirectEngine) -> dict[str, Any]:
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
    """The project's existing volumes, each with the services whose containers mount it.

    Its named volumes (labelled by Compose), and the anonymous volumes its containers mount.
    """
    uses = {volume["Name"]: VolumeUse(name=volume["Name"], key=(volume.get("Labels") or {}).get(VOLUME_LABEL, ""))
            for volume in volumes}
    for summary in summaries:
        service = (summary.get("Labels") or {}).get(SERVICE_LABEL, "")
        for mount in summary.get("Mounts") or []:
            name = mount.get("Name")
            if mount.get("Type") != "volume":
                continue
            if name not in uses and ANONYMOUS.fullmatch(str(name or "")):
                uses[name] = VolumeUse(name=name, key="", anonymous=True)
            if name in uses:
                uses[name].mounts[service] = mount.get("Destination", "")
    return [uses[name] for name in sorted(uses)]


def anonymous_target(part: Mapping[str, Any], summaries: Sequence[Mapping[str, Any]]) -> str:
    """The volume the part's service mounts at the part's path now (its container may be new)."""
    for summary in summaries:
        if (summary.get("Labels") or {}).get(SERVICE_LABEL) != part.get("service"):
            continue
        for mount in summary.get("Mounts") or []:
            if mount.get("Type") == "volume" and mount.get("Destination") == part.get("mount"):
                return str(mount.get("Name"))
    raise PreflightFailed(f"service {part.get('service')} has no container with a volume at {part.get('mount')} "
                          f"to restore part {part.get('name')} into",
                          "run `launcher up` once so its container exists, then restore again; nothing was changed")


def refill(client, volume: str, image: str, chunks: Iterable[bytes], *, shell: str) -> None:
    """Empty an anonymous volume in place (it stays its container's) and unpack the archive into it.

    It cannot be removed and created again as a named one is: the container would lose it.
    Emptying runs `sh -c 'rm -rf ...'` (POSIX: busybox has it as Debian does) from ``shell``,
    an image ``shell_image`` proved to carry both before anything was replaced; the
    engine then shows the volume empty before anything is unpacked into it.
    """
    with engine_errors(f"empty volume {volume}"):
        helper = client.containers.create(shell, entrypoint=["/bin/sh", "-c"], command=[_EMPTY], user="0:0",
                                          network_disabled=True, labels={HELPER_LABEL: "true"},
                                          volumes={volume: {"bind": MOUNT, "mode": "rw"}})
    try:
        with engine_errors(f"empty volume {volume}"):
            helper.start()
            code = helper.wait().get("StatusCode")
            left = _members(helper, MOUNT) if code == 0 else -1
        if code != 0 or left > 1:
            raise PreflightFailed(f"could not empty anonymous volume {volume} before restoring it (the helper "
                                  f"from image {shell} exited {code})", "check the engine's log; the volume was "
                                  "kept aside and given its files back")
    finally:
        with engine_errors(f"remove the helper container of volume {volume}"):
            helper.remove(force=True)
    _unpack_with_helper(client, volume, image, chunks, f"refill volume {volume}")


# Every entry of the mount point, dot files included; an unmatched pattern stays literal and rm -f ignores it.
_EMPTY = f"rm -rf -- {MOUNT}/* {MOUNT}/.[!.]* {MOUNT}/..?*"


def shell_image(client, candidates: Sequence[str]) -> str:
    """The first local image among ``candidates`` that runs `/bin/sh` with `rm` (run once to prove it).

    PreflightFailed when none does: asked before anything is replaced, so a restore never
    stops half way for want of a tool.
    """
    import docker.errors

    for image in dict.fromkeys(candidate for candidate in candidates if candidate):
        try:
            client.images.get(image)
        except docker.errors.ImageNotFound:
            continue
        with engine_errors(f"try image {image} for the volume helper"):
            probe = client.containers.create(image, entrypoint=["/bin/sh", "-c"], command=["command -v rm"],
                                             user="0:0", network_disabled=True, labels={HELPER_LABEL: "true"})
            try:
                try:
                    probe.start()
                    code = probe.wait().get("StatusCode")
                except docker.errors.APIError:  # no /bin/sh in the image: the engine cannot start it
                    code = -1
            finally:
                probe.remove(force=True)
        if code == 0:
            return image
    raise PreflightFailed(f"no image of this stack runs /bin/sh with rm (tried {', '.join(candidates) or 'none'}), "
                          "which emptying an anonymous volume takes", "nothing was changed; give the service a named "
                          "volume, or add a service whose image has a shell")


def exists(client, volume: str) -> bool:
    """Whether the engine has a volume of that name (asked without creating it, as a helper would)."""
    import docker.errors

    with engine_errors(f"look at volume {volume}"):
        try:
            client.volumes.get(volume)
        except docker.errors.NotFound:
            return False
    return True


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


def archive(client, volume: str, image: str, *, path: str = MOUNT) -> Iterator[bytes]:
    """The volume's files as one tar stream (entries under the folder name of MOUNT).

    ``path`` reads a folder of an aside volume instead (mounted at ASIDE_MOUNT), whose
    files sit under MOUNT's folder name as well.
    """
    with engine_errors(f"read volume {volume}"):
        bind = MOUNT if path == MOUNT else ASIDE_MOUNT
        helper = client.containers.create(image, command=["true"], entrypoint=[], network_disabled=True,
                                          labels={HELPER_LABEL: "true"}, volumes={volume: {"bind": bind, "mode": "ro"}})
        try:
            stream, _stat = helper.get_archive(path)
            yield from under_folder(stream, MOUNT.strip("/"))  # Podman's names, put in Docker's shape
        finally:
            helper.remove(force=True)


def replace(client, volume: str, key: str, project: str, image: str, chunks: Iterable[bytes]) -> None:
    """Empty the volume (remove and recreate it as it was) and unpack the archive into it."""
    import docker.errors

    with engine_errors(f"replace volume {volume}"):
        try:
            old = client.volumes.get(volume)
            attrs: dict[str, Any] = old.attrs
            remove_leftover_helpers(client, volume)
            old.remove()
        except docker.errors.NotFound:
            attrs = {"Driver": "local", "Options": None,
                     "Labels": {PROJECT_LABEL: project, VOLUME_LABEL: key}}
        client.volumes.create(name=volume, driver=attrs.get("Driver") or "local",
                              driver_opts=attrs.get("Options") or None, labels=attrs.get("Labels") or None)
    _unpack_with_helper(client, volume, image, chunks, f"replace volume {volume}")


def _unpack_with_helper(client, volume: str, image: str, chunks: Iterable[bytes], doing: str) -> None:
    """Unpack the archive into the volume through a helper container of ``image``, removed after."""
    with engine_errors(doing):
        helper = _helper(client, volume, image, read_only=False)
    try:
        _unpack(helper, volume, chunks)
    finally:
        with engine_errors(f"remove the helper container of volume {volume}"):
            helper.remove(force=True)


def remove_leftover_helpers(client, volume: str) -> None:
    """Helper containers a killed run left on the volume (the launcher labelled them when it made them)."""
    for helper in client.containers.list(all=True, filters={"volume": volume, "label": HELPER_LABEL}):
        helper.remove(force=True)


def _members(helper, path: str) -> int:
    """How many entries the engine's archive of ``path`` holds (1: the folder alone, empty)."""
    import tarfile

    from wizard.core.snapshots.archivecheck import _Reader

    stream, _stat = helper.get_archive(path)
    with tarfile.open(fileobj=_Reader(iter(stream)), mode="r|") as tar:
        return sum(1 for _member in tar)


def remove(client, volume: str, project: str, *, missing_ok: bool = False) -> None:
    """Remove the project's containers that mount the volume, then the volume (reset)."""
    if missing_ok and not exists(client, volume):
        return
    with engine_errors(f"remove volume {volume}"):
        for container in in_use_by(client, volume, project):
            container.remove(force=True)
        client.volumes.get(volume).remove()


def own_volumes(engine: DirectEngine) -> dict[str, VolumeUse]:
    """This project's volumes: declared in its compose files, or labelled with its project name."""
    own = declared(compose_config(engine), engine.project)
    with engine_errors("list the project's volumes"):
        labelled = engine.client.volumes.list(filters={"label": f"{PROJECT_LABEL}={engine.project}"})
    for volume in labelled:
        own.setdefault(volume.name, VolumeUse(name=volume.name,
                                              key=((volume.attrs or {}).get("Labels") or {}).get(VOLUME_LABEL, "")))
    return own


def restore_target(part: Mapping[str, Any], own: Mapping[str, VolumeUse], project: str) -> str:
    """The volume of this project a snapshot part goes into: its own name, else the one with its compose key.

    A part naming a volume that is not this project's is refused: a restore never
    touches another stack's data, whatever the manifest says.
    """
    name, key = part.get("volume"), part.get("key")
    if name in own:
        return str(name)
    by_key = [use.name for use in own.values() if key and use.key == key]
    if len(by_key) == 1:
        return by_key[0]
    raise SnapshotInvalid(f"part {part.get('name')} of the snapshot is of volume {name!r}, "
                          f"which is not a volume of compose project {project}",
                          "nothing was changed; restore a snapshot of this stack")


def foreign_users(client, volume: str, project: str) -> list[str]:
    """Names of containers outside the project that mount the volume (it cannot be replaced under them)."""
    with engine_errors(f"list the containers using volume {volume}"):
        users = client.containers.list(all=True, filters={"volume": volume})
    return sorted(container.name for container in users
                  if (container.labels or {}).get(PROJECT_LABEL) != project
                  and HELPER_LABEL not in (container.labels or {}))


def in_use_by(client, volume: str, project: str) -> list[Any]:
    """The project's containers (any state) that mount the volume: they must go before it can be recreated."""
    with engine_errors(f"list the containers using volume {volume}"):
        return client.containers.list(all=True, filters={"volume": volume, "label": f"{PROJECT_LABEL}={project}"})


@contextmanager
def engine_errors(doing: str) -> Iterator[None]:
    """The engine's refusals and a lost connection as one launcher line, never a traceback."""
    import docker.errors
    import requests.exceptions

    from wizard.core.docker.failures import engine_unreachable

    try:
        yield
    except docker.errors.APIError as exc:
        reason = exc.explanation or str(exc)
        raise PreflightFailed(f"the engine refused to {doing}: {reason}",
                              "check what uses it (docker ps -a) and the engine's log, then try again") from None
    except (requests.exceptions.ConnectionError, docker.errors.DockerException) as exc:
        raise engine_unreachable(exc) from None


def _helper(client, volume: str, image: str, *, read_only: bool):
    # Never started: the command is only there because the engine wants one.
    return client.containers.create(image, command=["true"], entrypoint=[], network_disabled=True,
                                    labels={HELPER_LABEL: "true"},
                                    volumes={volume: {"bind": MOUNT, "mode": "ro" if read_only else "rw"}})


def _unpack(helper, volume: str, chunks: Iterable[bytes]) -> None:
    # The archive's top folder is MOUNT's own name: unpacked at "/", it lands in the volume.
    with engine_errors(f"unpack the archive into volume {volume}"):
        unpacked = helper.put_archive("/", nonempty(chunks))
    if not unpacked:
        raise PreflightFailed(f"the engine refused to unpack the archive into volume {volume}",
                              "check the engine's log (journalctl -u docker)")


def nonempty(chunks: Iterable[bytes]) -> Iterator[bytes]:
    # requests sends a generator as a chunked body, so a large archive never sits in memory.
    for data in chunks:
        if data:
            yield data
