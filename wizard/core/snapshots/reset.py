"""`launcher reset`: back to the freshly seeded state of some groups.

The groups' containers and named volumes go, then the ordinary `up` (limited to
those groups and what they come after) starts them again and re-applies their
seeds into the empty stores. Nothing is lost before that is proven: each volume's
files are first copied into a volume of their own (``staging.Replacement``), dropped
once `up` succeeded; if it fails, every volume gets its files back and the groups'
services are started again as they were, and the failure is raised. A volume that a service of another group also
mounts is refused before anything is removed: resetting it would reach into a
group that was not named.
"""

from __future__ import annotations

from typing import Iterator, Sequence

from wizard.core.docker.protocol import DirectEngine
from wizard.core.support.errors import UsageError
from wizard.core.support.events import Event
from wizard.core.snapshots import asides, volumes
from wizard.core.snapshots.events import GroupsCleared
from wizard.core.snapshots.staging import Replacement
from wizard.core.manifest.kinds import seed_steps
from wizard.core.lifecycle.restoremarker import refuse_if_unfinished
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

    refuse_if_unfinished(stack.root)  # before anything is removed, not when its `up` refuses
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
    images = {spec.name: spec.image for spec in model.services}
    if created:
        engine.run_compose("rm", "--stop", "--force", *created, profiles=["*"])
    replacement = Replacement()
    try:
        for use in doomed:
            image = volumes.helper_image(client, use.services, images)
            replacement.add(lambda use=use, image=image: asides.copy_aside(client, use.name, image,
                                                                             engine.project),
                            lambda use=use, image=image: asides.put_back(client, use.name, use.key,
                                                                          engine.project, image),
                            lambda use=use: asides.drop_aside(client, use.name))
            volumes.remove(client, use.name, engine.project)
        yield GroupsCleared(groups=tuple(groups), containers=len(created),
                            volumes=tuple(use.name for use in doomed))
        yield from launch.up(stack, engine=engine, only=groups, timeout=timeout)
    except Exception:
        _back_as_it_was(engine, replacement, services)
        raise
    replacement.commit()


def _back_as_it_was(engine: DirectEngine, replacement: Replacement, services: Sequence[str]) -> None:
    """The groups' volumes with their old files, their services started again (without seeding)."""
    from wizard.core.lifecycle.launch import bring_up

    try:
        if services:
            engine.run_compose("rm", "--stop", "--force", *services, profiles=["*"])
        replacement.rollback()
        model = engine.model()
        specs = [spec for spec in model.services if spec.name in services]
        for _event in bring_up(engine, model, specs, list(dict.fromkeys(spec.group for spec in specs)), pull="never"):
            pass
    except Exception:  # noqa: BLE001 - the reset's own failure is what gets reported
        pass
