"""When a service counts as ready: the one rule `up` waits on and `status` shows.

Apart from ``launch`` so that `status` can use it without importing the
orchestration and its events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wizard.core.docker.containers import ContainerState
    from wizard.core.docker.model import ServiceSpec

READY, WAIT, FAILED = "ready", "wait", "failed"


def readiness(spec: ServiceSpec, container: ContainerState | None, *, compose_done: bool) -> tuple[str, str]:
    """(READY|WAIT|FAILED, how or why) for one service's container.

    While compose still runs, what we see may be last run's container: nothing
    counts as a failure until compose has returned.
    """
    if container is None:
        return (FAILED, "compose did not create its container") if compose_done else (WAIT, "")
    state, health = container.state, container.health
    if spec.oneshot:
        if state == "exited" and container.exit_code == 0:
            return READY, "completed"
        if state in ("exited", "dead") and compose_done:
            return FAILED, f"job exited with code {container.exit_code}"
        return WAIT, ""
    if state == "running":
        if health == "healthy":
            return READY, "healthy"
        if health == "unhealthy":
            return (FAILED, "unhealthy: its healthcheck keeps failing") if compose_done else (WAIT, "")
        if health == "" and not spec.healthcheck:
            return READY, "running"
        return WAIT, ""
    if state in ("exited", "dead") and compose_done:
        return FAILED, f"exited with code {container.exit_code}" if container.exit_code is not None else state
    if state == "created" and compose_done:
        return FAILED, "created but never started"
    return WAIT, ""
