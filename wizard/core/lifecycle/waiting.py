"""Waiting for started services to be ready, as `docker compose up --wait` waits; failing with the cause.

One list call per look, for all services; with an engine that watches its events,
a look waits for a container of the project to start, stop or change health (or
for the settle time or WATCH_FALLBACK) rather than a fixed tick. A failure is
yielded as ServiceFailed (health probes, log tail, the command to dig further)
and raised as Unhealthy.
"""

from __future__ import annotations

import time
from typing import Callable, Iterator, Mapping, Sequence

from wizard.core.docker.containers import ContainerState, replicas_by_service
from wizard.core.docker.model import ServiceSpec, wait_timeout
from wizard.core.docker.imagestore import ImageStore
from wizard.core.docker.protocol import Engine, Run, WatchesEvents
from wizard.core.lifecycle.readiness import (FAILED, NEVER_STARTED, READY, SETTLE, missing_healthcheck,
                                             service_readiness)
from wizard.core.support.errors import Unhealthy
from wizard.core.targets.swarmtasks import WAITING_FOR_NODE
from wizard.core.support.events import Event, ServiceFailed, ServiceProgress, ServiceReady

POLL_INTERVAL = 0.2  # seconds between list calls while waiting: one call per tick for all services
WATCH_FALLBACK = 2.0  # with the engine's events watched: the longest wait for one before listing anyway
LOG_TAIL = 40

Clock = Callable[[], float]
Sleep = Callable[[float], None]

def wait_ready(engine: Engine, specs: Sequence[ServiceSpec], *, run: Run | None, timeout: float | None,
               poll_interval: float = POLL_INTERVAL, clock: Clock = time.monotonic,
               sleep: Sleep = time.sleep) -> Iterator[Event]:
    """List (one call for all) until every service is ready; raise Unhealthy on the first failure.

    With an engine that can watch its events, the next list waits for a container of
    the project to start, stop or change health (or for WATCH_FALLBACK seconds), not
    for a fixed tick: no list calls while nothing happens, no tick's delay when it does.
    """
    watcher = engine.watch() if isinstance(engine, WatchesEvents) and specs else None
    try:
        yield from _wait_ready(engine, specs, run=run, timeout=timeout, poll_interval=poll_interval, clock=clock,
                               sleep=sleep, watcher=watcher)
    finally:
        if watcher is not None:
            watcher.close()


def _wait_ready(engine: Engine, specs: Sequence[ServiceSpec], *, run: Run | None, timeout: float | None,
                poll_interval: float, clock: Clock, sleep: Sleep, watcher) -> Iterator[Event]:
    began = clock()
    budgets = wait_budgets(specs, timeout, image_waits(engine, specs) if timeout is None else {})
    pending = {spec.name: spec for spec in specs}
    last_seen: dict[str, tuple[str, str]] = {}
    settle_at: float | None = None  # when "running" holds: SETTLE after the starts returned
    compose_done = run is None or run.done()
    # Until every service is ready and compose has returned: compose may still fail after a
    # service turned healthy (a post_start hook), and then `docker compose up` fails too.
    while pending or not compose_done:
        # Read compose's state before the containers', so "done" is true for what we list.
        compose_done = run is None or run.done()
        if compose_done and settle_at is None:
            settle_at = clock() + SETTLE
        states = replicas_by_service(engine.containers())
        now = clock()
        elapsed = now - began
        settled = settle_at is not None and now >= settle_at
        failures: list[Failure] = []
        for name, spec in list(pending.items()):
            # Once compose returned: until then a dependency's container may be one it is replacing.
            unchecked = missing_healthcheck(spec, states) if compose_done else None
            if unchecked is not None:
                failures.append(_no_healthcheck(engine, spec, *unchecked))
                continue
            replicas = states.get(name, [])
            verdict, how, container = service_readiness(spec, replicas, compose_done=compose_done, settled=settled)
            if verdict == READY:
                del pending[name]
                yield ServiceReady(group=spec.group, service=name, how=how, elapsed=round(elapsed, 2))
                continue
            if verdict == FAILED:
                failures.append((spec, container, how))
                continue
            shown = container or (replicas[0] if replicas else None)
            seen = (shown.state, shown.health) if shown else ("not created", "")
            if last_seen.get(name) != seen:
                last_seen[name] = seen
                yield ServiceProgress(group=spec.group, service=name, state=seen[0], health=seen[1],
                                      elapsed=round(elapsed, 2))
            if elapsed > budgets[name]:
                state = f"{seen[0]}, health {seen[1]}" if seen[1] else seen[0]
                if seen[0].startswith(WAITING_FOR_NODE):
                    # Not a service that failed to start: the node that keeps its data is down.
                    failures.append((spec, None, f"{NODE_DOWN} after {budgets[name]:.0f}s: {seen[0]}, "
                                                 "which is down and keeps its data (never started elsewhere)"))
                else:
                    failures.append((spec, shown, f"not ready after {budgets[name]:.0f}s ({state})"))
        if failures:
            yield from _fail(engine, *_first_cause(failures), run, hint=_hint(failures))
        if run is not None and compose_done and run.returncode != 0:
            yield from _compose_failed(engine, specs, list(pending.values()), states, run)
        if pending or not compose_done:
            if watcher is None or not compose_done:
                sleep(poll_interval)  # compose's end is no engine event: ticks while it runs
            else:
                # The next event, the end of the settling time, or the first budget to run out.
                deadline = min(budgets[name] for name in pending) - elapsed
                if not settled and settle_at is not None:
                    deadline = min(deadline, settle_at - now)
                watcher.wait(min(WATCH_FALLBACK, max(0.0, deadline) + 0.05))


Failure = tuple[ServiceSpec, ContainerState | None, str]  # the service, the container it is about, why
NO_HEALTHCHECK = "has no healthcheck configured"
NODE_DOWN = "still waiting"  # a Swarm service pinned to a node that is down (swarmtasks.WAITING_FOR_NODE)


def refuse_missing_healthchecks(engine: Engine, specs: Sequence[ServiceSpec],
                                states: Mapping[str, Sequence[ContainerState]], starting: Sequence[str]) -> Iterator[Event]:
    """Before a start: fail when a service waits with ``service_healthy`` for a running dependency that
    has no healthcheck. Compose checks every service's dependencies on each `up`, whether it starts
    it or finds it running; one started in the same run is checked by the wait instead."""
    for spec in specs:
        unchecked = missing_healthcheck(spec, {name: found for name, found in states.items() if name not in starting})
        if unchecked is not None:
            failure = _no_healthcheck(engine, spec, *unchecked)
            yield from _fail(engine, *failure, None, hint=_hint([failure]))


def _no_healthcheck(engine: Engine, dependant: ServiceSpec, dependency: str, container: ContainerState) -> Failure:
    """The failure blamed on the dependency, as compose blames it ("container db has no healthcheck configured")."""
    spec = engine.model().service(dependency)
    return spec, container, f"{NO_HEALTHCHECK}, and {dependant.name} waits for it with condition: service_healthy"


def _hint(failures: Sequence[Failure]) -> str:
    spec, _, reason = _first_cause(failures)
    if reason.startswith(NO_HEALTHCHECK):
        return (f"give {spec.name} a healthcheck (in its compose file or its image), or wait for it with "
                "condition: service_started")
    if reason.startswith(NODE_DOWN):
        return ("start that node's Docker engine again (it rejoins the swarm by itself), then run `up` again; "
                "`launcher status --target swarm` names what the node holds")
    return ""


def _compose_failed(engine: Engine, specs: Sequence[ServiceSpec], pending: Sequence[ServiceSpec],
                    states: Mapping[str, Sequence[ContainerState]], run: Run) -> Iterator[Event]:
    """Compose gave up without any container showing why (or a post_start hook failed in a container
    that runs): its own words are the reason, as `docker compose up` fails too."""
    output = run.output()
    spec = pending[0] if pending else next((s for s in specs if s.name in output), specs[0])
    first = states.get(spec.name, [])
    reason = "docker compose up failed"
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if first and lines:  # the container's logs are shown: compose's last word goes in the reason
        reason += f": {_compose_error(lines) or lines[-1]}"
    yield from _fail(engine, spec, first[0] if first else None, reason, run)


def _first_cause(failures: Sequence[Failure]) -> Failure:
    """The failure to report: a service that exited or is unhealthy before one never started because
    of it, and a service before the ones that depend on it (compose stops a dependant at a failed
    dependency: the dependency is the cause)."""
    failed = {spec.name for spec, _, _ in failures}

    def rank(failure: Failure) -> tuple[bool, bool]:
        spec, _, reason = failure
        return reason.startswith(NEVER_STARTED), any(dep in failed for dep in spec.depends_on)

    return min(failures, key=rank)


def still_ready(engine: Engine, specs: Sequence[ServiceSpec]) -> Iterator[Event]:
    """Fail on a service this `up` started that is not ready any more (one list call).

    Compose's --wait looks at every service once all are started; a service of an
    early wave that died while a later wave was starting is a failure there too.
    """
    states = replicas_by_service(engine.containers())
    for spec in specs:
        verdict, how, container = service_readiness(spec, states.get(spec.name, []), compose_done=True)
        if verdict == FAILED:  # a container restarting is waited for no more than compose does
            yield from _fail(engine, spec, container, how, None)


def image_waits(engine: Engine, specs: Sequence[ServiceSpec]) -> dict[str, float]:
    """For each server the compose file gives no healthcheck: the wait its image's own HEALTHCHECK
    allows (start period, interval, retries), as the engine runs that one (one inspect per image)."""
    store = engine.image_store
    if not isinstance(store, ImageStore):
        return {}  # an engine without the Docker image store (the tests' fakes)
    waits: dict[str, float] = {}
    checks: dict[str, float | None] = {}
    for spec in specs:
        if spec.healthcheck or spec.oneshot or not spec.image:
            continue
        if spec.image not in checks:
            found = store.healthcheck(spec.image)
            checks[spec.image] = wait_timeout(found) if found else None
        if checks[spec.image] is not None:
            waits[spec.name] = checks[spec.image]
    return waits


def wait_budgets(specs: Sequence[ServiceSpec], timeout: float | None,
                 image_waits: Mapping[str, float] | None = None) -> dict[str, float]:
    """Seconds each service may take, counting the services it waits for within the same start.

    ``image_waits``: the waits allowed by images' own healthchecks (see ``image_waits``)."""
    by_name = {spec.name: spec for spec in specs}
    budgets: dict[str, float] = {}
    image_waits = image_waits or {}

    def budget(name: str, seen: frozenset[str] = frozenset()) -> float:
        if name not in budgets:
            spec = by_name[name]
            own = timeout if timeout is not None else max(spec.wait_timeout, image_waits.get(name, 0.0))
            upstream = [budget(dep, seen | {name}) for dep in spec.depends_on if dep in by_name and dep not in seen]
            budgets[name] = own + max(upstream, default=0.0)
        return budgets[name]

    for spec in specs:
        budget(spec.name)
    return budgets


def _fail(engine: Engine, spec: ServiceSpec, container: ContainerState | None, reason: str,
          run: Run | None, *, hint: str = "") -> Iterator[Event]:
    probes: tuple[str, ...] = ()
    tail: tuple[str, ...] = ()
    if container is not None:
        probes, tail = engine.failure_details(container.id, tail=LOG_TAIL)
    command = engine.logs_by_hand(spec.name)
    if not tail and run is not None and run.done():
        tail = tuple(run.output().splitlines()[-LOG_TAIL:])
        if container is None:
            # No container means no logs to read: compose's own last error is the reason
            # (an image it could not pull, a bad mount), and compose by hand repeats it.
            # Its exit code cannot tell: compose 2.40 exits 0 when a pull fails.
            error = _compose_error(tail)
            reason = f"{reason}: {error}" if error else reason
            command = engine.start_by_hand(spec.name)
    yield ServiceFailed(group=spec.group, service=spec.name, reason=reason, health_log=probes, log_tail=tail,
                        next_command=command)
    raise Unhealthy(f"service {spec.name} (group {spec.group}) {reason}",
                    hint or f"see `{command}`; groups after {spec.group} were not started, healthy ones keep running")


def _compose_error(output: Sequence[str]) -> str:
    """The last line of compose output that reports an error ("" when none does)."""
    errors = [line.strip() for line in output if "error" in line.lower()]
    found = errors[-1] if errors else ""
    return found if len(found) <= 300 else found[:299] + "…"
