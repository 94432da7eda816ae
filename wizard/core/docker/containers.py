"""Container state as the Docker list call reports it, parsed from its summary text.

Health is read, in this order, from the list's ``Health`` field (Docker API 1.52 and
later), from the engine's inspect when the caller gives it (Podman 4.x lists a running
container as "Up 2 seconds", health or not), or from the status text Docker writes
("Up 2 seconds (healthy)").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from wizard.core.docker.model import PublishedPort

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
# What compose writes at creation and compares on every `up` (pkg/compose/convergence.go):
# the service's config hash and the id of the image it was created from.
CONFIG_HASH_LABEL = "com.docker.compose.config-hash"
IMAGE_LABEL = "com.docker.compose.image"


@dataclass(frozen=True)
class ContainerState:
    """One container as the Docker list call reports it."""

    id: str
    name: str
    service: str
    state: str  # created | running | paused | restarting | removing | exited | dead
    health: str  # healthy | unhealthy | starting | "" (no healthcheck)
    exit_code: int | None
    created: float  # epoch seconds
    uptime: float | None  # seconds running (lower bound: Docker rounds), None when not running
    status: str  # Docker's own words, e.g. "Up 5 minutes (healthy)"
    ports: tuple[PublishedPort, ...] = ()
    project: str = ""
    image_id: str = ""  # the image it was created from (sha256:...)
    image: str = ""  # that image as the list call names it: the reference it was created from, or its id
    volumes: tuple[tuple[str, str], ...] = ()  # (destination, volume name) of each named volume mounted
    config_hash: str = ""  # compose's label: the hash of the service's config it was created from
    image_label: str = ""  # compose's label: the image id it was created from ("" when none)
    node: str = ""  # the Swarm node it runs on, by hostname ("" on the local target)
    node_id: str = ""


_HEALTH = re.compile(r"\((healthy|unhealthy|health: starting)\)")
_EXITED = re.compile(r"^Exited \((-?\d+)\)")
_UP = re.compile(r"^Up (.+?)(?: \(.*\))?$")


def human_duration(text: str) -> float | None:
    """Seconds (lower bound) in Docker's rounded durations: "Less than a second", "2 hours"."""
    text = text.strip()
    if text.startswith("Less than"):
        return 0.0
    if text == "About a minute":
        return 60.0
    if text == "About an hour":
        return 3600.0
    match = re.match(r"(\d+) (second|minute|hour|day|week|month|year)s?$", text)
    if not match:
        return None
    unit = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800,
            "month": 2592000, "year": 31536000}[match.group(2)]
    return float(int(match.group(1)) * unit)


def health_of(details: Mapping[str, Any]) -> str:
    """healthy | unhealthy | starting, or "" without a healthcheck, from a container's inspect answer."""
    health = (details.get("State") or {}).get("Health") or {}
    return _known_health(health.get("Status"))


def _known_health(status: Any) -> str:
    # "none": Docker's word for no healthcheck; Podman says "".
    return status if status in ("healthy", "unhealthy", "starting") else ""


def container_from_summary(summary: Mapping[str, Any], health: str | None = None) -> ContainerState:
    """Parse one entry of ``GET /containers/json``: state, health and exit code.

    ``health``: the container's health as its inspect says, when the list does not (Podman).
    """
    status = summary.get("Status") or ""
    labels = summary.get("Labels") or {}
    if isinstance(summary.get("Health"), Mapping):
        health = _known_health(summary["Health"].get("Status"))
    elif health is None:
        health_match = _HEALTH.search(status)
        health = health_match.group(1).replace("health: ", "") if health_match else ""
    exited = _EXITED.match(status)
    up = _UP.match(status)
    names = summary.get("Names") or [""]
    ports = []
    seen = set()
    for port in summary.get("Ports") or ():
        if not port.get("PublicPort"):
            continue
        published = PublishedPort(port=int(port["PublicPort"]), target=int(port.get("PrivatePort") or 0),
                                  host_ip=port.get("IP") or "", protocol=port.get("Type") or "tcp")
        # Docker lists a port once per address family; one URL is enough.
        key = (published.port, published.protocol, published.local)
        if key not in seen:
            seen.add(key)
            ports.append(published)
    return ContainerState(
        id=summary.get("Id", ""),
        image=summary.get("Image") or "",
        name=names[0].lstrip("/"),
        service=labels.get(SERVICE_LABEL, ""),
        state=summary.get("State") or "",
        health=health,
        exit_code=int(exited.group(1)) if exited else None,
        created=float(summary.get("Created") or 0),
        uptime=human_duration(up.group(1)) if up else None,
        status=status,
        ports=tuple(sorted(ports, key=lambda p: p.port)),
        project=labels.get(PROJECT_LABEL, ""),
        image_id=summary.get("ImageID") or "",
        volumes=tuple((str(mount.get("Destination", "")).rstrip("/"), mount.get("Name") or "")
                      for mount in summary.get("Mounts") or () if mount.get("Type") == "volume"),
        config_hash=labels.get(CONFIG_HASH_LABEL, ""),
        image_label=labels.get(IMAGE_LABEL, ""),
    )


def replicas_by_service(containers: Sequence[ContainerState]) -> dict[str, list[ContainerState]]:
    """Every container of each service (its replicas), by name."""
    found: dict[str, list[ContainerState]] = {}
    for container in sorted(containers, key=lambda c: c.name):
        found.setdefault(container.service, []).append(container)
    return found
