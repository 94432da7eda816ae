"""Aside copies of volumes: a volume's files kept in a volume of their own while it is replaced.

`reset` and `snapshot restore` copy each volume aside before they empty it, put the copy
back if anything fails, and drop it once every store was replaced. The aside volume is
named after the volume (``aside_name``) and labelled when it is made (``launcher.aside-of``,
``launcher.aside-project``, of no compose project): the engine, not a file of ours, says
what is aside. It holds the files under MOUNT's folder name and, once the copy is whole, a
file named COPIED beside them, so a copy cut short by a kill is never taken for a whole one.
"""

from __future__ import annotations

from typing import Iterator

from wizard.core.snapshots import volumes
from wizard.core.support.errors import PreflightFailed

COPIED = "copied"
ASIDE_LABEL = "launcher.aside-of"  # the volume whose files it holds
ASIDE_PROJECT_LABEL = "launcher.aside-project"  # the compose project it was set aside for


def aside_name(volume: str) -> str:
    """The volume a reset or restore keeps a volume's files in until the new state is proven."""
    import hashlib

    return f"launcher-prev-{hashlib.sha256(volume.encode()).hexdigest()[:16]}"


def aside_volumes(client, project: str) -> dict[str, str]:
    """Aside volume -> the volume whose files it holds, for every one the launcher made for this project."""
    with volumes.engine_errors("list the volumes set aside"):
        found = client.volumes.list(filters={"label": f"{ASIDE_PROJECT_LABEL}={project}"})
    return {volume.name: (volume.attrs.get("Labels") or {}).get(ASIDE_LABEL, "") for volume in found
            if (volume.attrs.get("Labels") or {}).get(ASIDE_LABEL)}


def copy_aside(client, volume: str, image: str, project: str) -> None:
    """Copy the volume's files into its aside volume (no compose project lists it as its own).

    The aside volume holds them under ``volumes.MOUNT``'s folder name and, once the copy is whole,
    a file named ``COPIED`` beside them. An aside volume left by a reset or restore that
    was killed after that holds the files from before it: it is kept as it is. One killed
    while copying was cut short before the volume itself was touched: it is made again.
    """
    aside = aside_name(volume)
    with volumes.engine_errors(f"set volume {volume} aside"):
        found = _aside(client, volume)
        if found is not None and _copied(client, aside, image):
            return
        if found is not None:
            volumes.remove_leftover_helpers(client, aside)
            found.remove(force=True)
        client.volumes.create(name=aside, labels={ASIDE_LABEL: volume, ASIDE_PROJECT_LABEL: project})
        helper = client.containers.create(image, command=["true"], entrypoint=[], network_disabled=True,
                                          labels={volumes.HELPER_LABEL: "true"},
                                          volumes={aside: {"bind": volumes.ASIDE_MOUNT, "mode": "rw"}})
    try:
        with volumes.engine_errors(f"copy volume {volume} aside"):
            if not helper.put_archive(volumes.ASIDE_MOUNT, volumes.nonempty(volumes.archive(client, volume, image))) \
                    or not helper.put_archive(volumes.ASIDE_MOUNT, _one_file(COPIED)):
                raise PreflightFailed(f"the engine refused to copy volume {volume} aside",
                                      "check the engine's log (journalctl -u docker); nothing was changed")
    finally:
        with volumes.engine_errors(f"remove the helper container of volume {aside}"):
            helper.remove(force=True)


def put_back(client, volume: str, key: str, project: str, image: str, *, shell: str = "") -> None:
    """Give the volume its files from before again (what stands in it now goes), from its aside copy.

    Nothing happens unless the engine shows a whole aside copy the launcher made of this
    volume. An anonymous volume (``shell`` given) is emptied and refilled in place.
    """
    aside = aside_name(volume)
    with volumes.engine_errors(f"put volume {volume} back"):
        if _aside(client, volume) is None or not _copied(client, aside, image):
            return
        if not shell:
            for container in volumes.in_use_by(client, volume, project):
                container.remove(force=True)
    saved = volumes.archive(client, aside, image, path=f"{volumes.ASIDE_MOUNT}{volumes.MOUNT}")
    if shell:
        volumes.refill(client, volume, image, saved, shell=shell)
    else:
        volumes.replace(client, volume, key, project, image, saved)
    drop_aside(client, volume)


def drop_aside(client, volume: str) -> None:
    with volumes.engine_errors(f"remove the aside copy of volume {volume}"):
        found = _aside(client, volume)
        if found is not None:
            volumes.remove_leftover_helpers(client, found.name)
            found.remove()


def _aside(client, volume: str):
    """The volume's aside copy as the engine shows it; one of that name the launcher did not label so is refused."""
    import docker.errors

    try:
        found = client.volumes.get(aside_name(volume))
    except docker.errors.NotFound:
        return None
    if (found.attrs.get("Labels") or {}).get(ASIDE_LABEL) != volume:
        raise PreflightFailed(f"volume {found.name} exists but is not the launcher's aside copy of volume {volume}",
                              f"look at it (docker volume inspect {found.name}) and remove it if it is not needed")
    return found


def _copied(client, aside: str, image: str) -> bool:
    """Whether the aside volume holds a whole copy (its COPIED file was written last)."""
    import docker.errors

    helper = client.containers.create(image, command=["true"], entrypoint=[], network_disabled=True,
                                      labels={volumes.HELPER_LABEL: "true"},
                                      volumes={aside: {"bind": volumes.ASIDE_MOUNT, "mode": "ro"}})
    try:
        helper.get_archive(f"{volumes.ASIDE_MOUNT}/{COPIED}")
        return True
    except docker.errors.NotFound:
        return False
    finally:
        helper.remove(force=True)


def _one_file(name: str) -> Iterator[bytes]:
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.addfile(tarfile.TarInfo(name), io.BytesIO(b""))
    yield buffer.getvalue()

