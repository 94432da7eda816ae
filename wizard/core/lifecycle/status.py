"""A snapshot of every service: group, state, health, URLs on 127.0.0.1, uptime, restarts.

One Docker API list call per snapshot, filtered by the compose project label,
whatever the number of containers. The group of each service comes from the
compose model, which the engine caches on disk, so a refresh runs no compose
command. Restart counts are not in the list call's answer; they cost one
inspect per container and are only read when asked for (``restarts=True``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from wizard.core.docker.composeengine import ComposeEngine
from wizard.core.docker.containers import ContainerState, replicas_by_service
from wizard.core.docker.model import ServiceSpec
from wizard.core.manifest.stack import Stack

if TYPE_CHECKING:  # annotations only: its Protocol classes cost `status` CPU to build
    from wizard.core.docker.protocol import Engine

NOT_CREATED = "not created"
SKIPPED = "skipped"  # its group's requires_paths are missing: `up` does not start it


@dataclass(frozen=True)
class ServiceStatus:
    """Where one service stands. ``ready`` uses the same rule as `launcher up`."""

    group: str
    service: str
    state: str  # Docker's state, or "not created"
    health: str  # healthy | unhealthy | starting | "" (no healthcheck)
    ready: bool
    urls: tuple[str, ...] = ()
    uptime: float | None = None  # seconds, as Docker rounds it (lower bound)
    uptime_text: str = ""  # Docker's words: "5 minutes"
    restarts: int | None = None  # None unless asked for
    container: str = ""
    oneshot: bool = False
    exit_code: int | None = None
    node: str = ""  # on Swarm: the node its task runs on (hostname), and its id
    node_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["urls"] = list(self.urls)
        return data


def snapshot(stack: Stack, engine: Engine | None = None, *, restarts: bool = False) -> list[ServiceStatus]:
    """Every service of the active profiles (created or not) plus any other container of the project."""
    from wizard.core.lifecycle.readiness import READY, readiness
    from wizard.core.manifest.plan import build_plan

    engine = engine or ComposeEngine(stack)
    skipped_groups = {skip.group for skip in build_plan(stack).skipped}
    model = engine.model()
    containers = engine.containers()
    counts = engine.restart_counts([c.id for c in containers]) if restarts else {}
    if len(counts) < len(containers) and restarts:
        # Some were removed between the list and their inspect (a `down` running): list again.
        containers = engine.containers()
    by_service = replicas_by_service(containers)

    rows: list[ServiceStatus] = []
    for spec in model.services:
        found = by_service.pop(spec.name, [])
        if not found:
            state = SKIPPED if spec.group in skipped_groups else NOT_CREATED
            rows.append(ServiceStatus(group=spec.group, service=spec.name, state=state, health="",
                                      ready=False, oneshot=spec.oneshot))
        for container in found:
            ready = readiness(spec, container, compose_done=True)[0] == READY
            rows.append(_row(spec.group, spec.name, container, ready, spec.oneshot, counts))
    # Containers the model does not list: a profile not enabled today, or an orphan.
    for service, found in by_service.items():
        for container in found:
            spec = ServiceSpec(name=service, group=model.group_of(service))
            ready = readiness(spec, container, compose_done=True)[0] == READY
            rows.append(_row(spec.group, service, container, ready, False, counts))
    order = {group.name: index for index, group in enumerate(stack.groups)}
    return sorted(rows, key=lambda row: order.get(row.group, len(order)))


def _row(group: str, service: str, container: ContainerState, ready: bool, oneshot: bool,
         counts: dict[str, int]) -> ServiceStatus:
    uptime_text = ""
    if container.uptime is not None and container.status.startswith("Up "):
        uptime_text = container.status[3:].split(" (", 1)[0]
    return ServiceStatus(
        group=group,
        service=service,
        state=container.state,
        health=container.health,
        ready=ready,
        urls=tuple(port.url() for port in container.ports if port.local),
        uptime=container.uptime,
        uptime_text=uptime_text,
        restarts=counts.get(container.id),
        container=container.name,
        oneshot=oneshot,
        exit_code=container.exit_code,
        node=container.node,
        node_id=container.node_id,
    )


def summary(rows: list[ServiceStatus]) -> dict[str, int]:
    """Counts for a one-line summary: services, ready, not ready, skipped (never counted as not ready)."""
    ready = sum(1 for row in rows if row.ready)
    skipped = sum(1 for row in rows if row.state == SKIPPED)
    return {"services": len(rows), "ready": ready, "not_ready": len(rows) - ready - skipped, "skipped": skipped}


def ready_text(rows: list[ServiceStatus]) -> str:
    """'9/10 ready', plus how many are skipped: the same words in every front end."""
    counts = summary(rows)
    text = f"{counts['ready']}/{counts['services'] - counts['skipped']} ready"
    return f"{text}, {counts['skipped']} skipped" if counts["skipped"] else text
