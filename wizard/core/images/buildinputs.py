"""`pull_policy: build`: rebuild when the build's inputs changed, not on every `up`.

Compose builds such a service on every `up` (its build cache makes an unchanged build
quick, but it is still a compose run and a BuildKit session: a second or more). `up`
rebuilds it when what the image is built from changed since the launcher last built it:
the resolved ``build:`` section (context, Dockerfile name, target, args with their values
as interpolated now: held as a digest, see ``wizard.core.docker.confighash``), the
Dockerfile, and the files of the context (each one's path, size and modification time),
or when the image here is no longer the one it built (removed, rebuilt or pulled by hand).
Once built, compose recreates the containers on the new image as it would.

What it built from is kept in the disk cache per stack; without that record (a new
machine, a cleared cache) the image is built once more, as compose would.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Mapping, Sequence

from wizard.core.docker.model import ServiceSpec
from wizard.core.images.inventory import NeededImage
from wizard.core.support.cache import cache_read, cache_write

BUILD_POLICY = "build"


def context_fingerprint(spec: ServiceSpec) -> str:
    """Every file of the build context by path, size and modification time, and the Dockerfile's."""
    digest = hashlib.sha256()
    root = Path(spec.build_context)
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder, name)
            try:
                stat = path.stat()
            except OSError:
                continue
            digest.update(f"{path.relative_to(root)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    dockerfile = root / (spec.dockerfile or "Dockerfile")
    try:
        digest.update(dockerfile.read_bytes())
    except OSError:
        digest.update(b"no Dockerfile")
    return digest.hexdigest()


def _record_name(root: Path) -> str:
    return "builds-" + hashlib.sha256(str(root).encode()).hexdigest()[:16]


def inputs(spec: ServiceSpec, section: str) -> dict[str, str]:
    return {"section": section, "context": context_fingerprint(spec)}


def stale(root: Path, needed: Sequence[NeededImage], specs: Sequence[ServiceSpec],
          sections: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Image -> why it is to be built again, for each present `pull_policy: build` image whose inputs moved.

    ``sections``: the digest of each service's resolved build section now.
    """
    record = cache_read(_record_name(root), "builds") or {}
    by_name = {spec.name: spec for spec in specs}
    found: dict[str, tuple[str, ...]] = {}
    for item in needed:
        if not item.build or item.pull_policy != BUILD_POLICY or item.local is None:
            continue  # compose builds a missing image anyway; the others only when missing
        spec = by_name[item.services[0]]
        now = inputs(spec, sections.get(spec.name, ""))
        then = record.get(item.image) if isinstance(record.get(item.image), Mapping) else None
        if then is None:
            found[item.image] = ("never built by the launcher",)
        elif then.get("id") != item.local.id:
            found[item.image] = ("the image here is not the one last built",)
        else:
            reasons = tuple(reason for key, reason in (("section", "build"), ("context", "build context"))
                            if then.get(key) != now[key])
            if reasons:
                found[item.image] = reasons
    return found


def remember(root: Path, built: Sequence[NeededImage], specs: Sequence[ServiceSpec], sections: Mapping[str, str],
             ids: Mapping[str, str]) -> None:
    """Record what each just-built `pull_policy: build` image was built from, with its new id."""
    record = dict(cache_read(_record_name(root), "builds") or {})
    by_name = {spec.name: spec for spec in specs}
    for item in built:
        if item.pull_policy != BUILD_POLICY or item.image not in ids:
            continue
        spec = by_name[item.services[0]]
        record[item.image] = {**inputs(spec, sections.get(spec.name, "")), "id": ids[item.image]}
    cache_write(_record_name(root), "builds", json.loads(json.dumps(record)))
