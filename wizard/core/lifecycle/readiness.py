"""When a service counts as ready: the one rule `up` waits on and `status` shows.

It follows `docker compose up --wait` (compose's ``isServiceHealthy`` and
``isServiceCompleted``): a container that exited fails, unless its service is a
one-shot job that exited 0; a healthcheck must pass; a container without one must be
running when looked at again after ``SETTLE`` seconds (compose's first look comes one
500 ms tick after its starts), so a process that dies at once is never called ready.
Every replica counts, and ``replicas: 0`` is nothing to start. A job that completed
before counts as completed only once this `up`'s compose run returned (compose has
started it again by then: see ``to_start``).

Apart from ``launch`` so that `status` can use it without importing the
orchestration and its events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Sequence

if TYPE_CHECKING:
    from wizard.core.docker.containers import ContainerState
    from wizard.core.docker.model import ServiceSpec

READY, WAIT, FAILED = "ready", "wait", "failed"
# Seconds a container without a healthcheck must stay running after it was started:
# compose's --wait ticks every 500 ms and looks first one tick after its starts.
SETTLE = 0.5
# Failures that only follow from another service's: blamed last (see ``launch``).
NEVER_STARTED = ("compose did not create its container", "created but never started")


def readiness(spec: ServiceSpec, container: ContainerState | None, *, compose_done: bool,
              settled: bool = True) -> tuple[str, str]:
    """(READY|WAIT|FAILED, how or why) for one container of a service.

    While compose still runs, what we see may be last run's container: nothing
    counts as a failure until compose has returned. ``settled``: SETTLE seconds have
    passed since this `up` started it (or it was running before), so "running" holds.
    """
    if container is None:
        return (FAILED, NEVER_STARTED[0]) if compose_done else (WAIT, "")
    state, health = container.state, container.health
    if spec.oneshot:
        if state == "exited" and container.exit_code == 0:
            # Until compose returned, an exit 0 may be the last run's, not the one it is starting.
            return (READY, "completed") if compose_done else (WAIT, "")
        if state in ("exited", "dead") and compose_done:
            return FAILED, f"job exited with code {container.exit_code}"
        return WAIT, ""
    if state == "running":
        if health == "healthy":
            return READY, "healthy"
        if health == "unhealthy":
            return (FAILED, "unhealthy: its healthcheck keeps failing") if compose_done else (WAIT, "")
        if health == "" and not spec.healthcheck:
            return (READY, "running") if settled else (WAIT, "")
        return WAIT, ""
    if state in ("exited", "dead") and compose_done:
        return FAILED, f"exited with code {container.exit_code}" if container.exit_code is not None else state
    if state == "created" and compose_done:
        return FAILED, NEVER_STARTED[1]
    return WAIT, ""


def service_readiness(spec: ServiceSpec, replicas: Sequence[ContainerState], *, compose_done: bool,
                      settled: bool = True) -> tuple[str, str, ContainerState | None]:
    """(verdict, how or why, the container it is about) for a service over all its replicas.

    Ready when every replica listed is; failed as soon as one failed; ``replicas: 0``
    is ready with nothing to start. (Compose creates every replica before it starts
    one; the Swarm target lists one task's container per service.)
    """
    if spec.replicas == 0:
        return READY, "nothing to start (replicas: 0)", None
    if not replicas:
        verdict, how = readiness(spec, None, compose_done=compose_done)
        return verdict, how, None
    verdicts = [(container, *readiness(spec, container, compose_done=compose_done, settled=settled))
                for container in replicas]
    for container, verdict, how in verdicts:
        if verdict == FAILED:
            name = f" ({container.name})" if len(replicas) > 1 else ""
            return FAILED, how + name, container
    waiting = next((container for container, verdict, _ in verdicts if verdict == WAIT), None)
    if waiting is not None:
        return WAIT, "", waiting
    how = verdicts[0][2]
    return READY, (f"{how} ({len(replicas)} replicas)" if len(replicas) > 1 else how), None


def completed_job(spec: ServiceSpec, replicas: Sequence[ContainerState]) -> bool:
    """A job whose every container exited 0: compose's `up` starts it again, as every stopped container."""
    return spec.oneshot and bool(replicas) and all(c.state == "exited" and c.exit_code == 0 for c in replicas)


def to_start(spec: ServiceSpec, replicas: Sequence[ContainerState], *, rerun_jobs: bool = True) -> bool:
    """Whether `up` starts this service: it is not ready, or it is a job that completed before (it runs
    again, unless ``rerun_jobs`` is off: a target whose containers are not ours to start, Swarm's)."""
    return (rerun_jobs and completed_job(spec, replicas)) or \
        service_readiness(spec, replicas, compose_done=True)[0] != READY


def missing_healthcheck(spec: ServiceSpec, states: Mapping[str, Sequence[ContainerState]]
                        ) -> tuple[str, ContainerState] | None:
    """A dependency ``spec`` waits for with ``service_healthy`` whose running container has no healthcheck
    (none in the compose file or the image, or ``disable: true``): compose fails there (its
    ``isServiceHealthy``: "container db has no healthcheck configured"). The engine says which: a
    container with a healthcheck is listed "(health: starting)" from the moment it runs."""
    for dependency in spec.healthy_deps:
        for container in states.get(dependency, ()):
            if container.state == "running" and container.health == "":
                return dependency, container
    return None
