"""A Postgres data volume and the server an image ships: which major version each one is.

`up` refuses a data volume whose major differs from its image's server (a 17 server
never starts on 15 data), and `launcher upgrade` plans its major moves from the same
answers. Both are read by one throwaway container of the image (local, never pulled):
no network, the volume mounted read-only and never populated from the image, so the
reading changes nothing. The server's major comes from its own `postgres --version`,
so a tag's name is never trusted.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from wizard.core.support.errors import PreflightFailed

PGDATA = "/var/lib/postgresql/data"
# One shell line: the data's PG_VERSION (or "none" when the volume holds no cluster), then the server's version.
_READ = 'cat "$1/PG_VERSION" 2>/dev/null || echo none; postgres --version'


def pgdata_volume(mounts: Iterable[Mapping[str, Any]] | None) -> str | None:
    """The named volume mounted as the Postgres data directory, from an inspect's or a list's ``Mounts``."""
    for mount in mounts or ():
        if mount.get("Type") == "volume" and str(mount.get("Destination", "")).rstrip("/") == PGDATA:
            return mount.get("Name")
    return None


def read_majors(client: Any, image: str, volume: str) -> tuple[int | None, int]:
    """(the data's major, None when the volume holds no cluster yet; the image's server major)."""
    from docker.errors import ContainerError, ImageNotFound
    from docker.types import Mount

    mount = Mount(PGDATA, volume, type="volume", read_only=True, no_copy=True)
    try:
        out = client.containers.run(image, ["sh", "-c", _READ, "sh", PGDATA], entrypoint=[], remove=True,
                                    mounts=[mount], network_mode="none")
    except ImageNotFound:
        raise PreflightFailed(f"image {image} is not on this machine",
                              "build or load it (`launcher images`), then try again") from None
    except ContainerError:
        out = b""  # no shell or no postgres in it: said below, in the words for both
    lines = out.decode(errors="replace").splitlines()
    server = re.search(r"\(PostgreSQL\) (\d+)", "\n".join(lines[1:]))
    if not lines or not server:
        raise PreflightFailed(f"image {image} does not say which PostgreSQL it ships (`postgres --version`)",
                              "check the image the compose files name")
    data = lines[0].strip()
    if data == "none":
        return None, int(server.group(1))
    if not data.split(".")[0].isdigit():
        raise PreflightFailed(f"volume {volume} holds a PG_VERSION that names no version ({data[:20]!r})",
                              "check what the volume holds before any server starts on it")
    return int(data.split(".")[0]), int(server.group(1))
