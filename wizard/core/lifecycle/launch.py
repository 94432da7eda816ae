"""`up`, `restart` and `down` as generators of typed events; front ends render them, nothing here prints.

``up``: preflight first (engine, compose, env files, secrets, ports, images);
then missing images are pulled and ``build:`` images built, and each Postgres data
volume is checked against its image's major (``wizard.core.lifecycle.pgdatacheck``);
nothing is created or started until all of that passed. Then wave by wave: start what is not ready yet (through
the Engine API, its containers created ahead: see ``wizard.core.lifecycle.createahead``; else
with ``compose up --detach --no-deps``), wait until every service is ready, run the
wave's init steps, go on; at the end, one more list checks that nothing it started
has exited since. Ready means what `docker compose up --wait` means (see
``wizard.core.lifecycle.readiness``; ``wizard.core.docker.model.model_from_config`` for how
a one-shot job is recognised). Before anything starts, a compose ``depends_on`` into a
group that does not start first is refused (``wizard.core.lifecycle.ordering``).
Every `up` converges as compose's does (``wizard.core.lifecycle.converge``): a service whose
containers differ from the files (compose's config hash, the image id, the replica count, a
``pull_policy: build`` whose inputs moved) is said (ServiceChange, with the keys that changed)
and handed to compose to recreate, scale or rebuild in its wave, with the same wait. Services
ready and as the files say are not touched (a job that completed runs again, through the API,
as compose starts it again), so a daily ``up`` on a running stack is one list call (the
preflight's, reused by every wave while nothing was started), the hash answer read from the
cache, and no compose run.

Failures are yielded as events (ServiceFailed with health probes and log tail,
StepFailed) and then raised as LauncherError subclasses (Unhealthy, SeedFailed,
PreflightFailed, DockerUnavailable), which the CLI maps to exit codes. Closing
the generator (the TUI) or Ctrl-C stops the compose run that is in progress.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Callable, Collection, Iterator, Sequence, cast

from wizard.core.lifecycle.createahead import create_ahead
from wizard.core.lifecycle.healthoptions import check_healthcheck_options
from wizard.core.lifecycle.ordering import check_dependency_order
from wizard.core.lifecycle.pgdatacheck import check_data_versions
from wizard.core.lifecycle.restoremarker import refuse_if_unfinished
from wizard.core.lifecycle.waiting import (POLL_INTERVAL, Clock, Sleep, refuse_missing_healthchecks, still_ready,
                                           wait_ready)
from wizard.core.docker.composeengine import ComposeEngine
from wizard.core.docker.upgradestate import read_journal
from wizard.core.docker.uprecord import set_aside_bad_record
from wizard.core.docker.containers import ContainerState, replicas_by_service
from wizard.core.docker.model import ComposeModel, ServiceSpec
from wizard.core.docker.protocol import Converges, CreatesAhead, DirectEngine, Engine, RecordsUp
from wizard.core.lifecycle.converge import converging
from wizard.core.lifecycle.upchanges import rebuilds, say_changes
from wizard.core.support.errors import PreflightFailed, SecretsCheckFailed
from wizard.core.support.events import (Event, Finished, GroupReady, GroupSkipped, GroupStarting, Note, PreflightCheck,
                                        ServiceReady, WaveStarted)
from wizard.core.manifest.plan import Plan, build_plan, check_profiles
from wizard.core.lifecycle.readiness import completed_job, to_start
from wizard.core.manifest.stack import Stack
from wizard.core.support.lock import holding_lock

if TYPE_CHECKING:
    from wizard.core.docker.confighash import Wanted
    from wizard.core.images.inventory import ImagePlan

__all__ = ["POLL_INTERVAL", "bring_up", "down", "preflight", "restart", "up"]


@holding_lock("up")
def up(stack: Stack, *, engine: Engine | None = None, only: Sequence[str] = (), profiles: Sequence[str] = (),
       pull: str = "missing", timeout: float | None = None, allow_demo_secrets: bool = False,
       offline: bool = False, poll_interval: float = POLL_INTERVAL, clock: Clock = time.monotonic,
       sleep: Sleep = time.sleep) -> Iterator[Event]:
    """Bring the stack up in dependency order; yields events, ends with Finished(ok=True).

    ``timeout`` overrides each service's wait (otherwise from its healthcheck).
    ``offline``: ``pull="never"``: nothing is pulled (a build still runs its Dockerfile as written).
    """
    began = clock()
    check_profiles(stack, profiles)
    if read_journal(stack.root) is not None:  # a journal `upgrade` cannot read is refused here in its words
        raise PreflightFailed("an upgrade of this stack was interrupted and may have left it half moved",
                              "run `launcher upgrade`: it rolls the interrupted one back first")
    refuse_if_unfinished(stack.root)
    aside = set_aside_bad_record(stack.root)  # a note: a wrong one is rebuilt by this `up`, never a blocker
    if aside is not None:
        yield aside
    engine = engine or ComposeEngine(stack, profiles=profiles)
    plan = build_plan(stack, only=only, profiles=profiles)
    values = yield from preflight(stack, engine, plan, allow_demo_secrets=allow_demo_secrets)
    check_dependency_order(stack, engine.model())
    check_healthcheck_options(stack, engine, engine.model().in_groups([group.name for group in plan.groups]))
    # Images last among the checks; then pulls and builds, still before anything starts.
    from wizard.core.images import inventory as images

    pull = "never" if offline else pull
    image_plan = yield from images.check_images(engine, [group.name for group in plan.groups], pull=pull,
                                                offline=offline)
    model = engine.model()
    planned = model.in_groups([group.name for group in plan.groups])
    wanted = _wanted(engine, planned)
    if wanted is not None and wanted.problem:
        yield Note(message=f"compose did not hash the config ({wanted.problem}): this up applies no edit "
                           "of the files to running containers")
    if wanted is not None:
        image_plan = yield from rebuilds(engine, image_plan, planned, wanted)
    if image_plan.to_pull:
        yield from images.pull(engine.image_store, image_plan.to_pull)
    if image_plan.to_build:
        from wizard.core.images.build import build

        # Building runs compose with the engine's command line: a DirectEngine's (fakes build nothing).
        yield from build(cast(DirectEngine, engine), image_plan.to_build)
    # What had to be pulled is here now: compose is never left to pull on its own (and print raw lines).
    pull = "never" if pull == "never" else "missing"
    image_ids = _image_ids(engine, image_plan, planned)
    if wanted is not None and image_plan.to_build:
        from wizard.core.images import buildinputs

        buildinputs.remember(engine.stack.root, image_plan.to_build, planned, wanted.builds, image_ids)
    # With every image here, and still before anything is created: a data volume its server cannot run.
    yield from check_data_versions(engine, planned, image_ids, engine.listed)

    for skipped in plan.skipped:
        yield GroupSkipped(group=skipped.group, reason=skipped.reason)
    # The latest list of the project's containers (the preflight's, then the last poll of
    # the wave before) stands for the next wave's state unless a step took time since:
    # a no-op `up` lists once, and a wave does not list again what the last poll just saw.
    snapshot = engine.listed
    converge: set[str] = set()
    if wanted is not None:
        snapshot = snapshot if snapshot is not None else engine.containers()
        changes = yield from say_changes(engine, model, plan, snapshot, wanted, image_ids, only_acting=True)
        converge = converging(changes)
        restarts = [c.service for c in changes if c.action == "restart"]
        if restarts:
            # As compose does before it recreates their dependency: they start again in their wave.
            cast(Converges, engine).stop(restarts)
            snapshot = engine.containers()
    started: list[str] = []
    ahead = create_ahead(engine, model, plan, snapshot, pull=pull, sleep=sleep, converge=converge)
    try:
        for wave in plan.waves:
            yield WaveStarted(wave=wave.index, groups=tuple(group.name for group in wave.groups))
            specs = model.in_groups([group.name for group in wave.groups])
            created = ahead is not None and ahead.made([spec.name for spec in specs])
            started += yield from bring_up(engine, model, specs, [group.name for group in wave.groups], pull=pull,
                                           timeout=timeout, poll_interval=poll_interval, clock=clock, sleep=sleep,
                                           states=snapshot, created=created, converge=converge,
                                           on_started=ahead.begin_next if ahead is not None else None)
            snapshot = engine.listed
            if wave.steps:
                from wizard.core.seeds.steps import NothingToDo, run_step

                for step in wave.steps:
                    summary = yield from run_step(stack, step, values)
                    if not isinstance(summary, NothingToDo):
                        snapshot = None
        if started:
            yield from still_ready(engine, [model.service(name) for name in started])
    except BaseException:
        # Stopped short (a failure, Ctrl-C, the TUI closing us): what was created ahead for
        # waves never reached goes again, so "not started" still means "no container".
        if ahead is not None:
            ahead.undo()
        raise
    elapsed = clock() - began
    summary = (f"{len(started)} service(s) started, stack ready in {elapsed:.1f}s" if started
               else f"everything was already running ({elapsed:.1f}s)")
    from wizard.core.support.registry import mark_up

    mark_up(stack.project, stack.root)
    if isinstance(engine, RecordsUp):
        # Converged: every planned service is what the files say now, started or not.
        engine.record_up(started, [spec.name for spec in planned] if wanted is not None else ())
    yield Finished(ok=True, elapsed=elapsed, summary=summary,
                   details={"started": started, "skipped": [s.group for s in plan.skipped]})


def _wanted(engine: Engine, planned: Sequence[ServiceSpec]) -> Wanted | None:
    """Compose's hashes now, when the engine converges; on a cold start (no container of the run yet)
    none are asked for, since every service is created anyway, unless a `pull_policy: build` needs
    its build digest."""
    if not isinstance(engine, Converges):
        return None
    names = {spec.name for spec in planned}
    if engine.listed is not None and not any(container.service in names for container in engine.listed) \
            and not any(spec.build and spec.pull_policy == "build" for spec in planned):
        from wizard.core.docker.confighash import Wanted

        return Wanted()
    return engine.wanted()


def _image_ids(engine: Engine, image_plan: ImagePlan, specs: Sequence[ServiceSpec]) -> dict[str, str]:
    """The local id of each image the specs run: the images check's, asked again only for what was
    pulled or built since."""
    ids = {item.image: item.local.id for item in image_plan.needed if item.local is not None}
    fresh = {item.image for item in image_plan.needed if item.image in image_plan.to_pull}
    fresh |= {item.image for item in image_plan.to_build}
    wanted = {spec.image for spec in specs if spec.image}
    if wanted & fresh or wanted - ids.keys():
        found = engine.image_store.find(sorted(wanted))
        ids.update({image: local.id for image, local in found.items() if local is not None})
    return ids


def preflight(stack: Stack, engine: Engine, plan: Plan, *,
              allow_demo_secrets: bool = False) -> Iterator[Event]:
    """Checks that change nothing; raises on the first blocker kind. Returns the stack's values.

    Engine and compose problems raise DockerUnavailable straight away (nothing else
    can be checked without them); env files, secrets and ports are each reported
    in full before the error is raised.
    """
    from wizard.core.lifecycle.checks import env_files_check, published_port_checks, shared_port_checks, wanted_ports

    engine.ping()
    yield PreflightCheck(check="engine", status="ok", detail="Docker engine answers")
    yield PreflightCheck(check="compose", status="ok", detail=engine.compose.describe())

    env_files = env_files_check(stack, missing_status="fail")
    yield env_files
    if env_files.status == "fail":
        raise PreflightFailed(f"env file(s) {env_files.detail}", "run `launcher init` first")

    from wizard.core.values.secretrecord import checked_secrets
    from wizard.core.values.resolution import current_values

    values = current_values(stack)
    problems = [p for p in checked_secrets(stack, values) if not (allow_demo_secrets and p.demo)]
    for problem in problems:
        yield PreflightCheck(check=f"secret {problem.name}", status="fail", detail=problem.message,
                             hint="run `launcher secrets check`")
    if problems:
        raise SecretsCheckFailed(f"{len(problems)} secret problem(s), first: {problems[0].name} {problems[0].message}",
                                 "fix them with `launcher secrets rotate NAME`, or pass --allow-demo-secrets "
                                 "for demo values on a throwaway machine")
    yield PreflightCheck(check="secrets", status="ok", detail=f"{len(stack.secrets)} checked")

    shared = shared_port_checks(stack, values)
    yield from shared
    if shared:
        raise PreflightFailed(shared[0].detail, shared[0].hint)
    services = [spec.name for spec in engine.model().in_groups([group.name for group in plan.groups])]
    checks = published_port_checks(engine, wanted_ports(stack, engine, values, services))
    blockers = [check for check in checks if check.status == "fail"]
    yield from blockers
    if blockers:
        first = blockers[0]
        raise PreflightFailed(f"{first.name} is busy ({first.detail})", first.hint)
    where = (f" on {engine.remote_host} (other programs there cannot be checked from here)"
             if engine.remote_host else "")
    yield PreflightCheck(check="ports", status="ok", detail=f"{len(checks)} free or already ours{where}")
    return values


def bring_up(engine: Engine, model: ComposeModel, specs: Sequence[ServiceSpec], groups: Sequence[str], *,
             pull: str = "missing", timeout: float | None = None, poll_interval: float = POLL_INTERVAL,
             clock: Clock = time.monotonic, sleep: Sleep = time.sleep,
             states: Sequence[ContainerState] | None = None, created: bool = False,
             converge: Collection[str] = (), on_started: Callable[[], None] | None = None) -> Iterator[Event]:
    """Start what is not ready among ``specs`` and wait for it; returns the names started.

    ``converge``: services ready but not as the files say (``wizard.core.lifecycle.converge``):
    handed to compose too, which recreates or scales them, then waited for the same way.

    ``states``: a list of the project's containers still true now (else one is made).
    ``created``: their containers exist already (see ``wizard.core.lifecycle.createahead``), so
    they are started through the engine's API, unless one waits for another of them:
    then compose starts them, in its order. ``on_started``: called once those API
    starts have returned, before the wait (`up` creates the next wave's containers then).
    """
    began = clock()
    states = replicas_by_service(engine.containers() if states is None else states)
    # A completed job runs again where its container can be started again (not a Swarm task).
    rerun_jobs = isinstance(engine, CreatesAhead)
    pending = [spec for spec in specs if spec.name in converge
               or to_start(spec, states.get(spec.name, []), rerun_jobs=rerun_jobs)]
    yield from refuse_missing_healthchecks(engine, specs, states, [spec.name for spec in pending])
    for spec in specs:
        if spec not in pending:
            yield ServiceReady(group=spec.group, service=spec.name, how="already-healthy", elapsed=0.0)
    run = None
    if pending:
        for group in groups:
            names = tuple(spec.name for spec in pending if spec.group == group)
            if names:
                yield GroupStarting(group=group, services=names)
        names = [spec.name for spec in pending]
        # A job that completed before has its container: started again through the API too.
        created = created or (rerun_jobs and all(completed_job(spec, states.get(spec.name, [])) for spec in pending))
        # Compose starts them when one waits for another (its order), has post_start hooks (it runs
        # them) or configs or secrets from content or environment (it writes them in at each start).
        if created and not any(dependency in names for spec in pending for dependency in spec.depends_on) \
                and not any(spec.post_start or spec.injects_files for spec in pending):
            run = engine.start_created(names)
            if on_started is not None:
                on_started()
        else:
            run = engine.start(names, pull=pull)
    try:
        yield from wait_ready(engine, pending, run=run, timeout=timeout, poll_interval=poll_interval,
                              clock=clock, sleep=sleep)
    finally:
        if run is not None:
            run.cancel()
    elapsed = clock() - began
    for group in groups:
        changed = any(spec.group == group for spec in pending)
        yield GroupReady(group=group, elapsed=elapsed if changed else 0.0, changed=changed)
    return [spec.name for spec in pending]


@holding_lock("restart")
def restart(stack: Stack, targets: Sequence[str], *, engine: Engine | None = None, timeout: float | None = None,
            poll_interval: float = POLL_INTERVAL, clock: Clock = time.monotonic,
            sleep: Sleep = time.sleep) -> Iterator[Event]:
    """Restart services (or every service of a group) and wait until they are ready again."""
    from wizard.core.support.errors import UsageError

    began = clock()
    engine = engine or ComposeEngine(stack)
    model = engine.model()
    group_names = {group.name for group in stack.groups}
    specs: list[ServiceSpec] = []
    for target in targets:
        chosen = model.in_groups([target]) if target in group_names else [s for s in model.services if s.name == target]
        if not chosen:
            raise UsageError(f"no service or group named {target!r}",
                             f"services: {', '.join(model.names)}; groups: {', '.join(sorted(group_names))}")
        specs.extend(spec for spec in chosen if spec not in specs)
    created = replicas_by_service(engine.containers())
    absent = [spec.name for spec in specs if spec.name not in created]
    if absent:
        # compose restart skips what has no container; waiting on it would only end in "not created".
        raise UsageError(f"nothing to restart for {', '.join(absent)}: no container", "start it with `launcher up`")
    groups = list(dict.fromkeys(spec.group for spec in specs))
    for group in groups:
        yield GroupStarting(group=group, services=tuple(s.name for s in specs if s.group == group))
    engine.restart([spec.name for spec in specs])
    yield from wait_ready(engine, specs, run=None, timeout=timeout, poll_interval=poll_interval,
                          clock=clock, sleep=sleep)
    elapsed = clock() - began
    yield Finished(ok=True, elapsed=elapsed, summary=f"{len(specs)} service(s) restarted and ready in {elapsed:.1f}s")


@holding_lock("down")
def down(stack: Stack, *, engine: Engine | None = None, volumes: bool = False,
         clock: Clock = time.monotonic) -> Iterator[Event]:
    """Stop and remove the stack's containers and networks; named volumes stay unless ``volumes``."""
    began = clock()
    engine = engine or ComposeEngine(stack)
    engine.ping()
    before = engine.containers()
    # Containers of the project that no compose file of any profile declares (a service since
    # renamed or deleted, one started by hand into the project): `down` removes them too,
    # where plain `docker compose down` keeps them (see docs/daily-use.md).
    declared = engine.model().groups
    engine.down(volumes=volumes)
    left = {c.id for c in engine.containers()}  # compose leaves what it does not count as the project's
    removed = [c for c in before if c.id not in left]
    orphans = sorted(c.name for c in removed if c.service not in declared)
    kept = "volumes deleted" if volumes else "volumes kept"
    also = f", {len(orphans)} of them in no compose file ({', '.join(orphans)})" if orphans else ""
    yield Note(message=f"removed {len(removed)} container(s) of {stack.project}{also}; {kept}")
    yield Finished(ok=True, elapsed=clock() - began, summary=f"stack {stack.project} is down ({kept})",
                   details={"removed": sorted(c.name for c in removed), "orphans": orphans,
                            "volumes_deleted": volumes})
