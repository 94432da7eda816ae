"""`secrets rotate NAME --apply`: a new password reaches the running database, the env files and the services.

Order matters, so a failure always leaves a way forward:
1. the new value is recorded in ``.launcher/rotation-NAME.env`` (0600) before the
   database is touched: a run that dies later finds it and finishes the same rotation;
2. the password is changed inside Postgres, connecting through the step named by
   ``apply`` (its dsn rendered with the old value; on a re-run the new one is tried
   first, since the server may already have it);
3. the value store and env files are written (nothing before step 2 succeeded);
4. only the services whose resolved compose config changed are recreated, wave by
   wave in plan order, and waited on until healthy;
5. the pending record is removed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from wizard.core.docker.protocol import DirectEngine
from wizard.core.support.files import STATE_DIR, shown_path
from wizard.core.values.envfiles import atomic_write, parse_env_text, quote_value, write_outputs
from wizard.core.support.errors import ConfigError, LauncherError, SeedFailed, Unhealthy, UsageError
from wizard.core.support.events import EnvFilesWritten, Event, Finished, RotationResumed, SecretApplied, WaveStarted
from wizard.core.manifest.interpolate import substitute
from wizard.core.manifest.stack import SecretSpec, Stack
from wizard.core.manifest.kinds import secret_kind
from wizard.core.support.lock import holding_lock

PENDING_MODE = 0o600
POLL_INTERVAL = 0.2


class RotationIncomplete(SeedFailed):
    """The database side of a rotation failed, or succeeded while the env files could not follow."""


# --------------------------------------------------------------------------- the pending record


def pending_path(stack: Stack, name: str) -> Path:
    return stack.root / STATE_DIR / f"rotation-{name}.env"


def read_pending(stack: Stack, name: str) -> str | None:
    """The new value of an unfinished rotation of ``name``, or None."""
    path = pending_path(stack, name)
    if not path.is_file():
        return None
    value = parse_env_text(path.read_text(encoding="utf-8"), shown_path(path, stack.root)).values.get(name)
    return value or None


def write_pending(stack: Stack, name: str, value: str) -> None:
    folder = stack.root / STATE_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    text = (f"# An unfinished `launcher secrets rotate {name} --apply`: re-run it to finish.\n"
            f"{name}={quote_value(value)}\n")
    atomic_write(pending_path(stack, name), text.encode("utf-8"), PENDING_MODE)


# --------------------------------------------------------------------------- the database side


def _auth_failed(error: BaseException) -> bool:
    text = str(error).lower()
    return getattr(error, "sqlstate", None) in ("28P01", "28000") or "password authentication failed" in text


def change_role_passwords(dsns: Sequence[str], roles: Sequence[str], password: str) -> tuple[str, bool]:
    """Connect with the first dsn that authenticates and set every role's password.

    Returns (the dsn that worked, whether it was the first one). All roles change in one
    transaction, after checking they all exist: either every role has the new password
    or none does. The role is quoted as an identifier, the password bound as a literal.
    """
    import psycopg
    from psycopg import sql

    from wizard.core.support.redact import connection_target

    for index, dsn in enumerate(dsns):
        try:
            connection = psycopg.connect(dsn, connect_timeout=10)
        except psycopg.OperationalError as error:
            if _auth_failed(error):
                continue
            reason = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
            raise RotationIncomplete(f"cannot reach PostgreSQL at {connection_target(dsn)}: {reason}",
                                     "start the database (`launcher up`) and run the same command again") from None
        with connection:
            rows = connection.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", [list(roles)])
            present = {row[0] for row in rows}
            missing = [role for role in roles if role not in present]
            if missing:
                raise RotationIncomplete(f"role(s) {', '.join(missing)} do not exist at {connection_target(dsn)}",
                                         "fix `roles` of the secret in stack.toml; nothing was changed")
            for role in roles:
                connection.execute(sql.SQL("ALTER ROLE {} WITH PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(password)))
        return dsn, index == 0
    raise RotationIncomplete(f"PostgreSQL at {connection_target(dsns[0])} accepts neither the old nor the new password",
                             "set the password by hand (ALTER ROLE ... PASSWORD), then run `launcher init`")


# --------------------------------------------------------------------------- compose side


def resolved_services(engine: DirectEngine) -> dict[str, Any]:
    """Every service of every profile as compose resolves it with the current env files."""
    result = engine.run_compose("config", "--format", "json", profiles=["*"])
    return json.loads(result.stdout).get("services") or {}


def changed_services(before: Mapping[str, Any], after: Mapping[str, Any]) -> set[str]:
    return {name for name in after if before.get(name) != after[name]}


# --------------------------------------------------------------------------- the whole rotation


Writer = Callable[..., list]


@holding_lock("secrets rotate --apply")
def apply_rotation(stack: Stack, name: str, *, engine: DirectEngine | None = None, timeout: float | None = None,
                   write: Writer | None = None, clock: Callable[[], float] = time.monotonic) -> Iterator[Event]:
    """Rotate ``name`` everywhere it lives; yields events, ends with Finished. See the module docstring."""
    from wizard.core.docker.composeengine import ComposeEngine
    from wizard.core.values.secrets import generate_secret
    from wizard.core.values.resolution import Answer, current_values, existing_values, resolve_values

    began = clock()
    write = write or write_outputs
    spec = _applicable(stack, name)
    step = next(step for step in stack.steps if step.name == spec.apply)
    old_values = current_values(stack)
    pending = read_pending(stack, name)
    shown_pending = shown_path(pending_path(stack, name), stack.root)
    if pending is not None:
        new = pending
        yield RotationResumed(secret=name, pending_file=shown_pending)
    else:
        new = generate_secret(spec, old_values)
    answer = {name: Answer(new, f"pending rotation {shown_pending}")}
    new_values = resolve_values(stack, answer, existing_values(stack)).values
    # Everything that can be checked without changing anything is checked first:
    # templates, existing env files, the compose config.
    write(stack, new_values, dry_run=True)
    engine = engine or ComposeEngine(stack, profiles=("*",))
    engine.ping()
    before = resolved_services(engine)
    if pending is None:
        write_pending(stack, name, new)

    source = f"stack.toml [steps.{step.name}] dsn"
    old_dsn = substitute(str(step.params["dsn"]), old_values, source)
    new_dsn = substitute(str(step.params["dsn"]), new_values, source)
    # A resumed rotation may have changed the server already: try the new value first.
    dsns = [new_dsn, old_dsn] if pending is not None else [old_dsn]
    used, first = change_role_passwords(dsns, spec.roles, new)
    from wizard.core.support.redact import connection_target

    yield SecretApplied(secret=name, target=connection_target(used), roles=tuple(spec.roles),
                        already_current=pending is not None and first)

    try:
        changes = write(stack, new_values)
    except (OSError, LauncherError) as error:
        reason = error.one_line() if isinstance(error, LauncherError) else f"{type(error).__name__}: {error.strerror}"
        raise RotationIncomplete(
            f"{name} was changed inside the database, but the env files could not be written ({reason})",
            f"fix that, then run `launcher secrets rotate {name} --apply` again: it finishes with the new value "
            f"kept in {shown_pending}") from None
    after = resolved_services(engine)
    running = {container.service for container in engine.containers()}
    recreate = sorted(changed_services(before, after) & running)
    written = tuple(change.path for change in changes if change.changes)
    yield EnvFilesWritten(secret=name, files=written, recreate=tuple(recreate))
    pending_path(stack, name).unlink(missing_ok=True)

    recreated: list[str] = []
    try:
        yield from recreate_in_order(stack, engine, recreate, timeout=timeout, done=recreated)
    except Unhealthy as error:
        # The rotation itself is complete: say so, so nobody rotates a second time. `launcher up`
        # would leave an old, still healthy container alone, so name the command that recreates.
        left = [service for service in recreate if service not in recreated]
        raise Unhealthy(f"{name} is changed in the database and the env files, but {error.message}",
                        f"fix it (`launcher logs SERVICE`), then recreate what is left: "
                        f"{engine.by_hand()} up -d --no-deps {' '.join(left)}") from None
    elapsed = clock() - began
    yield Finished(ok=True, elapsed=elapsed,
                   summary=f"{name} rotated in the database, {len(written)} file(s) and "
                           f"{len(recreated)} service(s) in {elapsed:.1f}s",
                   details={"secret": name, "roles": list(spec.roles), "files": list(written),
                            "recreated": recreated})


def recreate_in_order(stack: Stack, engine: DirectEngine, services: Sequence[str], *, timeout: float | None = None,
                      done: list[str] | None = None) -> Iterator[Event]:
    """`compose up -d --no-deps` the given services, wave by wave in plan order, waiting for each wave.

    Returns (and appends to ``done``, as it goes) the services recreated and ready.
    """
    from wizard.core.support.events import GroupStarting
    from wizard.core.lifecycle.waiting import wait_ready
    from wizard.core.manifest.plan import build_plan

    done = [] if done is None else done
    if not services:
        return done
    model = engine.model()
    wanted = [spec for spec in model.services if spec.name in services]
    batches = [(wave.index, [group.name for group in wave.groups]) for wave in build_plan(stack).waves]
    planned = {group for _, groups in batches for group in groups}
    # A running service of a group the plan skips today still holds the old value.
    batches.append((len(batches) + 1, sorted({spec.group for spec in wanted} - planned)))
    for index, groups in batches:
        specs = [spec for spec in wanted if spec.group in groups]
        if not specs:
            continue
        yield WaveStarted(wave=index, groups=tuple(groups))
        for group in groups:
            names = tuple(spec.name for spec in specs if spec.group == group)
            if names:
                yield GroupStarting(group=group, services=names)
        run = engine.start([spec.name for spec in specs], pull="never")
        try:
            # The old containers still look healthy until compose has replaced them:
            # judge readiness only once compose is done.
            while not run.done():
                time.sleep(POLL_INTERVAL)
            if run.returncode != 0:
                lines = [line for line in run.output().splitlines() if line.strip()]
                raise Unhealthy(f"compose could not recreate {', '.join(s.name for s in specs)}: "
                                f"{lines[-1] if lines else 'no output'}", "run `launcher up`")
            yield from wait_ready(engine, specs, run=run, timeout=timeout)
        finally:
            run.cancel()
        done += [spec.name for spec in specs]
    return done


def _applicable(stack: Stack, name: str) -> SecretSpec:
    declared = [spec.name for spec in stack.secrets]
    if name not in declared:
        raise UsageError(f"no secret named {name}", f"use one of: {', '.join(declared)}")
    spec = stack.secret(name)
    if not spec.apply:
        applicable = [s.name for s in stack.secrets if s.apply]
        raise ConfigError(f"stack.toml does not say where {name} lives, so --apply cannot change it there",
                          f"add apply = \"<postgres step>\" and roles = [...] to [secrets.{name}]"
                          + (f" (declared for: {', '.join(applicable)})" if applicable else ""))
    if not secret_kind(spec).role_password:
        raise ConfigError(f"{name} is a {spec.kind} secret; --apply changes role passwords only",
                          "rotate it without --apply")
    return spec
