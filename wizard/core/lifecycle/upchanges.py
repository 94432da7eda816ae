"""What an `up` changes, service by service, and why: said as `up` acts, and by `up --dry-run` alone.

The decision is ``wizard.core.lifecycle.converge``'s (compose's rules); this module gathers
what it decides from (the images' ids, compose's hashes, the containers, the last `up`'s
record for the reasons) and yields it as ServiceChange events, in plan order: wave by
wave, then compose's order. `up` yields the changes that do something just before it acts
on them; ``dry_run`` yields every service's, "nothing" included, and does nothing else.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Callable, Collection, Iterator, Mapping, Sequence, cast

from wizard.core.docker.containers import ContainerState
from wizard.core.docker.model import ComposeModel, ServiceSpec
from wizard.core.docker.protocol import Converges, CreatesAhead, DirectEngine, Engine, RecordsUp
from wizard.core.lifecycle.converge import acting, changed_keys, config_reasons, decide, volumes_held
from wizard.core.manifest.plan import Plan
from wizard.core.support.events import Event, Finished, Note, RecreatingData, ServiceChange

if TYPE_CHECKING:
    from wizard.core.docker.confighash import Wanted
    from wizard.core.images.inventory import ImagePlan
    from wizard.core.manifest.stack import Stack


def in_plan_order(model: ComposeModel, plan: Plan) -> list[ServiceSpec]:
    """The services of the plan, wave by wave (compose's order within a wave)."""
    return [spec for wave in plan.waves for spec in model.in_groups([group.name for group in wave.groups])]


def say_changes(engine: Engine, model: ComposeModel, plan: Plan, containers: Sequence[ContainerState],
                wanted: Wanted | None, image_ids: Mapping[str, str], *,
                only_acting: bool, rebuilt: Collection[str] = ()) -> Iterator[Event]:
    """Decide and yield each service's change (only those that act, when ``only_acting``), then a
    RecreatingData for each recreated service holding named volumes; returns the changes.

    ``rebuilt``: services whose image is still to be rebuilt (a dry run): their containers will
    be recreated on the new image, which has no id yet to compare with.
    """
    changes = decide(in_plan_order(model, plan), containers, wanted=wanted, image_ids=image_ids,
                     config_reasons=_config_reasons(engine), rerun_jobs=isinstance(engine, CreatesAhead))
    changes = [replace(change, action="recreate", reasons=("image",))
               if change.service in rebuilt and change.action in ("nothing", "start", "restart") else change
               for change in changes]
    yield from acting(changes) if only_acting else changes
    recreated = [change.service for change in changes if change.action == "recreate"]
    for service, volumes in volumes_held(containers, recreated).items():
        yield RecreatingData(service=service, volumes=volumes)
    return changes


def rebuilds(engine: Engine, image_plan: ImagePlan, planned: Sequence[ServiceSpec],
             wanted: Wanted) -> Iterator[Event]:
    """The plan with the `pull_policy: build` images whose inputs changed added to its builds; one
    ServiceChange("rebuild") per service of each, with the build keys that changed."""
    from wizard.core.images import buildinputs

    if not any(item.pull_policy == buildinputs.BUILD_POLICY and item.build for item in image_plan.needed):
        return image_plan
    stale = buildinputs.stale(cast(DirectEngine, engine).stack.root, image_plan.needed, planned, wanted.builds)
    if not stale:
        return image_plan
    keys = _build_keys(engine)
    by_name = {spec.name: spec for spec in planned}
    for item in image_plan.needed:
        for service in item.services if item.image in stale else ():
            reasons = stale[item.image]
            if "build" in reasons:
                reasons = tuple(reason for reason in reasons if reason != "build") + (keys(service) or ("build",))
            yield ServiceChange(group=by_name[service].group, service=service, action="rebuild",
                                reasons=reasons, wanted=by_name[service].replicas)
    return replace(image_plan, to_build=image_plan.to_build + tuple(
        item for item in image_plan.needed if item.image in stale and item not in image_plan.to_build))


def dry_run(stack: Stack, *, engine: Engine | None = None, only: Sequence[str] = (), profiles: Sequence[str] = (),
            pull: str = "missing", offline: bool = False, clock: Callable[[], float] = time.monotonic,
            ) -> Iterator[Event]:
    """What `up` would do to each service and why; changes nothing (no pull, build, create or start)."""
    from wizard.core.docker.composeengine import ComposeEngine
    from wizard.core.images import inventory as images
    from wizard.core.lifecycle.ordering import check_dependency_order
    from wizard.core.manifest.plan import build_plan, check_profiles

    began = clock()
    check_profiles(stack, profiles)
    engine = engine or ComposeEngine(stack, profiles=profiles)
    plan = build_plan(stack, only=only, profiles=profiles)
    engine.ping()
    model = engine.model()
    check_dependency_order(stack, model)
    planned = model.in_groups([group.name for group in plan.groups])
    image_plan = yield from images.check_images(engine, [group.name for group in plan.groups],
                                                pull="never" if offline else pull, offline=offline)
    wanted = engine.wanted() if isinstance(engine, Converges) else None
    if wanted is not None and wanted.problem:
        yield Note(message=f"compose did not hash the config ({wanted.problem}): edits of the files are not "
                           "compared with what runs")
    rebuilt: set[str] = set()
    if wanted is not None:
        before = image_plan.to_build
        image_plan = yield from rebuilds(engine, image_plan, planned, wanted)
        rebuilt = {name for item in image_plan.to_build if item not in before for name in item.services}
    # An image still to be pulled or built has no id yet: its containers are compared by config alone.
    ids = {item.image: item.local.id for item in image_plan.needed if item.local is not None}
    changes = yield from say_changes(engine, model, plan, engine.containers(), wanted, ids, only_acting=False,
                                     rebuilt=rebuilt)
    doing = acting(changes)
    summary = (f"up would change {len(doing)} of {len(changes)} service(s); nothing was done" if doing
               else f"up would change nothing ({len(changes)} service(s) as the files say)")
    yield Finished(ok=True, elapsed=clock() - began, summary=summary,
                   details={"dry_run": True, "changes": [change.to_dict() for change in changes]})


def _config_reasons(engine: Engine) -> Callable[[str], tuple[str, ...]]:
    """The config keys that changed for a service since the last `up`'s record (none without one)."""
    if not isinstance(engine, RecordsUp):
        return lambda name: ()
    from wizard.core.docker.uprecord import recorded_services

    return config_reasons(recorded_services(cast(DirectEngine, engine).stack.root), engine.resolved_config)


def _build_keys(engine: Engine) -> Callable[[str], tuple[str, ...]]:
    """The keys of a service's `build:` section that changed since the last `up`'s record (``build.args.X``)."""
    if not isinstance(engine, RecordsUp):
        return lambda name: ()
    from wizard.core.docker.uprecord import recorded_services

    recorded = recorded_services(cast(DirectEngine, engine).stack.root)
    records_up = engine

    def keys(name: str) -> tuple[str, ...]:
        before = (recorded.get(name) or {}).get("build")
        after = ((records_up.resolved_config().get("services") or {}).get(name) or {}).get("build")
        if not isinstance(before, dict) or not isinstance(after, dict):
            return ()
        return tuple(f"build.{key}" for key in changed_keys(before, after))
    return keys
