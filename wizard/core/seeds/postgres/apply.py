"""Apply SQL seeds to PostgreSQL, once each, tracked by checksum.

Seeds live in ordered folders (``00_tables/``, ``10_functions/`` ...); folders and
``*.sql`` files apply in lexical order of their paths. Each file runs in a reset
session (``DISCARD ALL``) and in one transaction together with its row in
``launcher.applied_seeds``, so a file is either applied and recorded, or not at
all: a failure or a Ctrl-C halfway leaves no trace of it.

Statements are split and run the way ``psql -v ON_ERROR_STOP=1 -1 -f FILE`` runs
them (see ``wizard.core.seeds.postgres.splitter``). Everything that can be checked without the
server (``${NAME}`` references, unterminated strings, unsupported psql
meta-commands, files changed since they were applied) is checked for every file
before the first one runs.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Generator, Iterable, Mapping

from wizard.core.support.errors import ConfigError, SeedFailed, UsageError
from wizard.core.support.events import SeedFileProgress, StepProgress
from wizard.core.seeds.postgres.runfile import apply_file, standard_strings
from wizard.core.seeds.postgres.seedfile import Script, SeedFile, prepare
from wizard.core.support.files import shown_path
from wizard.core.seeds.steps import step_folder, step_text
from wizard.core.support.lock import holding_lock
from wizard.core.support.redact import connection_target

# The tables in schema `launcher` that record what was applied: the seeds, and the SQL of
# `launcher upgrade` steps (kept apart: a version move's file must never pass for a seed).
SEEDS_TABLE = "applied_seeds"
UPGRADES_TABLE = "applied_upgrades"
_TRACKING_DDL = """
CREATE SCHEMA IF NOT EXISTS launcher;
CREATE TABLE IF NOT EXISTS {table} (
    path text PRIMARY KEY,
    sha256 text NOT NULL,
    applied_at timestamptz NOT NULL,
    duration interval NOT NULL
);
COMMENT ON TABLE {table} IS {comment};
"""
_TABLE_COMMENTS = {SEEDS_TABLE: "SQL seed files applied by `launcher seed postgres`",
                   UPGRADES_TABLE: "SQL files of upgrade steps applied by `launcher upgrade`"}
# One launcher at a time per database: pg_advisory_lock key "launchr" in ASCII.
_LOCK_KEY = 0x6C61756E636872


@dataclass(frozen=True)
class SeedState:
    """A file's state for ``launcher seed status``: applied, pending, changed, or missing."""

    path: str
    state: str
    sha256: str = ""  # of the file on disk ("" when missing)
    applied_sha256: str = ""
    applied_at: datetime | None = None
    duration: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "state": self.state, "sha256": self.sha256,
                "applied_sha256": self.applied_sha256,
                "applied_at": self.applied_at.isoformat() if self.applied_at else None,
                "duration": self.duration}



# ---------------------------------------------------------------- public API


@holding_lock("seed postgres")
def run_seed_step(stack, step, values: Mapping[str, str]) -> Generator[StepProgress, None, str]:
    """The ``postgres-seeds`` init step of ``launcher up``.

    Yields one ``StepProgress`` per file applied or skipped and returns a short
    summary; raises SeedFailed (nothing of the failing file is kept).
    """
    from wizard.core.seeds.postgres.cache import applied_record

    dsn, directory = resolve_step(stack, step, values)
    # When nothing changed since a clean run (see wizard.core.seeds.postgres.cache for the key),
    # say what a connection would have told, without one.
    files = find_seed_files(directory)
    record = applied_record(stack, step.name, dsn, files)
    if record is not None and record.hit():
        for seed in files:
            yield StepProgress(step=step.name, message=_outcome(step.name, seed.path, "skipped").message)
        return _summary({"skipped": len(files)}, len(files))
    summary = yield from step_progress(step.name, apply_seeds(dsn, directory, values, step=step.name))
    if record is not None:
        record.store()
    return summary


def step_progress(step: str, applying: Generator[SeedFileProgress, None, str]) -> Generator[StepProgress, None, str]:
    """Each file's outcome as one progress line of the init step; returns the summary."""
    while True:
        try:
            outcome = next(applying)
        except StopIteration as done:
            return done.value
        yield StepProgress(step=step, message=outcome.message)


def resolve_step(stack, step, values: Mapping[str, str]) -> tuple[str, Path]:
    """The step's DSN and seeds folder, with ``${NAME}`` references filled in."""
    return step_text(step, values, "dsn"), step_folder(stack, step, values)


def find_seed_files(directory: Path) -> list[SeedFile]:
    """Every ``*.sql`` file under directory, in the order they apply (hidden entries ignored)."""
    if not directory.is_dir():
        raise ConfigError(f"seeds folder {shown_path(directory.resolve(), Path.cwd())} does not exist",
                          "create it, or fix `dir` of the postgres-seeds step in stack.toml")
    found = []
    for file in directory.rglob("*.sql"):
        relative = file.relative_to(directory)
        if file.is_file() and not any(part.startswith(".") for part in relative.parts):
            found.append(SeedFile(relative.as_posix(), file, hashlib.sha256(file.read_bytes()).hexdigest()))
    # Lexical order of the path parts: folder 00_x entirely before folder 10_y.
    return sorted(found, key=lambda seed: seed.path.split("/"))


@holding_lock("seed postgres")
def apply_stack_seeds(stack, dsn: str, directory: Path, values: Mapping[str, str],
                      **options) -> Generator[SeedFileProgress, None, str]:
    """``apply_seeds`` into one stack's database (`launcher seed postgres`), under the stack's lock."""
    return (yield from apply_seeds(dsn, directory, values, **options))


def apply_seeds(dsn: str, directory: Path, values: Mapping[str, str], *, reapply: Iterable[str] = (),
                dry_run: bool = False, step: str = "postgres-seeds",
                table: str = SEEDS_TABLE) -> Generator[SeedFileProgress, None, str]:
    """Apply pending seed files in order; yield what happened to each file, return a summary.

    ``reapply`` names files (or folders) to run again even though they were applied,
    changed or not. With ``dry_run`` nothing is written, not even the tracking table.
    ``table`` is the tracking table in schema ``launcher`` (SEEDS_TABLE or UPGRADES_TABLE).
    """
    files = find_seed_files(directory)
    reapply = _match_reapply(files, directory, reapply)
    counts: dict[str, int] = {}
    worker = None
    with _connect(dsn) as control, _server_errors(dsn):
        # Every file checked before any runs, read as psql would read it on this server
        # (whose database or role may default standard_conforming_strings to off).
        scripts = [prepare(seed, values, standard_strings=standard_strings(control)) for seed in files]
        if not dry_run:
            _lock(control, dsn)
            control.execute(_tracking_ddl(table))
        applied = _read_applied(control, table)
        _refuse_changed(scripts, applied, reapply)
        try:
            for script in scripts:
                path = script.seed.path
                previous = applied.get(path)
                if previous is not None and path not in reapply:
                    outcome = _outcome(step, path, "skipped")
                elif dry_run:
                    outcome = _outcome(step, path, "would-reapply" if previous else "would-apply")
                else:
                    worker = worker or _worker(dsn)
                    seconds = apply_file(worker, script, _tracked(table))
                    outcome = _outcome(step, path, "reapplied" if previous else "applied", seconds)
                counts[outcome.action] = counts.get(outcome.action, 0) + 1
                yield outcome
        finally:
            if worker is not None:
                worker.close()
    return _summary(counts, len(scripts))


def _outcome(step: str, path: str, action: str, seconds: float = 0.0) -> SeedFileProgress:
    if action in ("applied", "reapplied"):
        message = f"{path}: {action} in {seconds:.2f} s"
    elif action == "skipped":
        message = f"{path}: already applied, unchanged"
    else:
        message = f"{path}: {action.replace('-', ' ')}"
    return SeedFileProgress(step=step, message=message, path=path, action=action, seconds=seconds)


def seed_status(dsn: str, directory: Path) -> list[SeedState]:
    """Each seed file's state, plus recorded files that no longer exist ("missing")."""
    files = find_seed_files(directory)
    with _connect(dsn) as control, _server_errors(dsn):
        applied = _read_applied(control, SEEDS_TABLE)
    states = []
    for seed in files:
        record = applied.pop(seed.path, None)
        if record is None:
            states.append(SeedState(seed.path, "pending", seed.sha256))
        else:
            state = "applied" if record["sha256"] == seed.sha256 else "changed"
            states.append(SeedState(seed.path, state, seed.sha256, record["sha256"], record["applied_at"],
                                    record["duration"]))
    for path, record in sorted(applied.items()):
        states.append(SeedState(path, "missing", "", record["sha256"], record["applied_at"], record["duration"]))
    return states


# ---------------------------------------------------------------- checks before anything runs


def _match_reapply(files: list[SeedFile], directory: Path, requested: Iterable[str]) -> frozenset[str]:
    chosen: set[str] = set()
    for given in requested:
        key = _seed_key(given, directory)
        matches = {seed.path for seed in files if seed.path == key or seed.path.startswith(key.rstrip("/") + "/")}
        if not matches:
            raise UsageError(f"--reapply {given}: no seed file or folder by that name",
                             "give a path as `launcher seed status` lists it")
        chosen |= matches
    return frozenset(chosen)


def _seed_key(given: str, directory: Path) -> str:
    """A --reapply argument as a tracking key: relative to the seeds folder or the working directory."""
    path = Path(given)
    for candidate in (path, Path.cwd() / path):
        try:
            return candidate.resolve().relative_to(directory.resolve()).as_posix()
        except ValueError:
            continue
    return path.as_posix().strip("/")


def _refuse_changed(scripts: list[Script], applied: Mapping[str, dict], reapply: frozenset[str]) -> None:
    changed = [script for script in scripts
               if script.seed.path in applied and applied[script.seed.path]["sha256"] != script.seed.sha256
               and script.seed.path not in reapply]
    if changed:
        problems = [SeedFailed(f"changed since it was applied on {_when(applied[s.seed.path]['applied_at'])}",
                               f"revert it, or run `launcher seed postgres --reapply {s.seed.path}` to run it again",
                               where=s.display) for s in changed]
        raise _ManySeedProblems(problems)


class _ManySeedProblems(SeedFailed):
    """Several files are refused at once; each is reported on its own line."""

    def __init__(self, problems: list[SeedFailed]) -> None:
        first = problems[0]
        super().__init__(first.message, first.hint, where=first.where)
        self.problems = problems

    def lines(self) -> list[str]:
        return [problem.one_line() for problem in self.problems]


# ---------------------------------------------------------------- talking to the server


def _connect(dsn: str):
    import psycopg

    from wizard.core.support.redact import remember_connection

    remember_connection(dsn)
    try:
        # Seed files are UTF-8 text; on a SQL_ASCII database psycopg would hand back bytes.
        return psycopg.connect(dsn, autocommit=True, client_encoding="utf8")
    except psycopg.Error as error:
        # libpq's message spans lines ("... failed: Connection refused", then a tab-indented
        # question); its last line alone loses the cause, so keep all of it on one line.
        reason = " ".join(str(error).split()) or type(error).__name__
        raise SeedFailed(f"cannot connect to PostgreSQL at {connection_target(dsn)}: {reason}",
                         "is the database up (`launcher status`)? or pass --dsn") from None


@contextmanager
def _server_errors(dsn: str):
    """Server errors outside a seed statement (no right to create the tracking schema, say)
    are seed failures too, not crashes; statement errors already carry their file:line."""
    import psycopg

    try:
        yield
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise SeedFailed(f"PostgreSQL at {connection_target(dsn)} refused the seed bookkeeping: {reason}",
                         "connect as a role that may create schema `launcher` (the dsn of the step)") from None


def _lock(control, dsn: str) -> None:
    if not control.execute("SELECT pg_try_advisory_lock(%s)", (_LOCK_KEY,)).fetchone()[0]:
        raise SeedFailed(f"another launcher is applying seeds to {connection_target(dsn)}",
                         "wait for it to finish, then run the command again")


def _tracked(table: str):
    """The tracking table as a quoted SQL name (``launcher.<table>``)."""
    from psycopg import sql

    return sql.Identifier("launcher", table)


def _tracking_ddl(table: str):
    from psycopg import sql

    return sql.SQL(_TRACKING_DDL).format(table=_tracked(table), comment=sql.Literal(_TABLE_COMMENTS[table]))


def _read_applied(control, table: str) -> dict[str, dict]:
    from psycopg import sql

    exists = control.execute("SELECT to_regclass(%s) IS NOT NULL", (f"launcher.{table}",)).fetchone()[0]
    if not exists:
        return {}
    rows = control.execute(sql.SQL(
        "SELECT path, sha256, applied_at, extract(epoch FROM duration)::float8 FROM {}").format(_tracked(table))
    ).fetchall()
    return {path: {"sha256": sha, "applied_at": at, "duration": duration} for path, sha, at, duration in rows}


def _worker(dsn: str):
    """The session seed files run in (the lock stays on the control connection)."""
    connection = _connect(dsn)
    # psql prints server notices on stderr; here they would only be noise between progress lines.
    connection.add_notice_handler(lambda diagnostic: None)
    return connection




# ---------------------------------------------------------------- small helpers


def _summary(counts: Mapping[str, int], total: int) -> str:
    from wizard.core.seeds.steps import NothingToDo

    if total == 0:
        return NothingToDo("no seed files")
    if counts.get("skipped", 0) == total:
        return NothingToDo(f"nothing to apply: {total} file(s) already applied")
    order = ("applied", "reapplied", "would-apply", "would-reapply", "skipped")
    names = {"skipped": "unchanged", "would-apply": "would apply", "would-reapply": "would reapply"}
    return ", ".join(f"{counts[action]} {names.get(action, action)}" for action in order if counts.get(action))


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "an unknown date"
