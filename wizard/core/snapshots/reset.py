"""`launcher reset`: back to the freshly seeded state of some groups.

The groups' containers and named volumes go, then the ordinary `up` (limited to
those groups and what they come after) starts them again and re-applies their
seeds into the empty stores. A volume that a service of another group also
mounts is refused before anything is removed: resetting it would reach into a
group that was not named.
"""

from __future__ import annotations

from typing import Iterator, Sequence

from wizard.core.docker.protocol import DirectEngine
from wizard.core.support.errors import UsageError
from wizard.core.support.events import Event
from wizard.core.snapshots import volumes
from wizard.core.snapshots.events import GroupsCleared
from wizard.core.manifest.kinds import seed_steps
from wizard.core.support.lock import holding_lock


def default_groups(stack) -> list[str]:
    """Every group that a seed step comes after, in manifest order."""
    seeded = {step.after for step in seed_steps(stack.steps)}
    return [group.name for group in stack.groups if group.name in seeded]


def check_groups(stack, groups: Sequence[str]) -> list[str]:
    known = [group.name for group in stack.groups]
    unknown = [name for name in groups if name not in known]
    if unknown:
        raise UsageError(f"no group named {', '.join(unknown)}", f"groups: {', '.join(known)}")
    return list(dict.fromkeys(groups))


@holding_lock("reset")
def reset(stack, groups: Sequence[str], *, engine: DirectEngine | None = None, timeout: float | None = None) -> Iterator[Event]:
    from wizard.core.lifecycle import launch
    from wizard.core.docker.composeengine import ComposeEngine

    engine = engine or ComposeEngine(stack)
    engine.ping()
    model = engine.model()
    services = sorted(service for service, group in model.groups.items() if group in groups)
    client = engine.client
    with volumes.engine_errors("list the project's volumes"):
        present = volumes.existing(client, engine.project)
    doomed = [use for use in volumes.declared(volumes.compose_config(engine), engine.project).values()
              if set(use.services) & set(services) and use.name in present]
    for use in doomed:
        shared = [service for service in use.services if service not in services]
        if shared:
            raise UsageError(f"volume {use.name} is also used by {', '.join(shared)} "
                             f"(group {model.group_of(shared[0]) or '?'})", "reset that group too, or neither")
    created = sorted({c.service for c in engine.containers()} & set(services))
    if created:
        engine.run_compose("rm", "--stop", "--force", *created, profiles=["*"])
    for use in doomed:
        volumes.remove(client, use.name, engine.project)
    yield GroupsCleared(groups=tuple(groups), containers=len(created), volumes=tuple(use.name for use in doomed))
    yield from launch.up(stack, engine=engine, only=groups, timeout=timeout)
