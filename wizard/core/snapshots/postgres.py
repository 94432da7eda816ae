"""PostgreSQL parts: `pg_dump -Fc` and `pg_restore` run inside the database's own container.

Running the tools in the server's container means their version always matches
the server (a host pg_dump older than the server refuses to dump). Which
container: the one publishing the port the postgres-seeds step's DSN connects to
(or the service the DSN names as its host). The password reaches the tool as
PGPASSWORD through `docker exec -e PGPASSWORD`, never on a command line.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import dataclass
from typing import Iterable, Iterator, Mapping, Sequence

from wizard.core.docker.containers import ContainerState
from wizard.core.docker.endpoint import current
from wizard.core.docker.execstream import ExecStreamFailed, exec_argv, stream_in, stream_out
from wizard.core.support.errors import PreflightFailed, SeedFailed
from wizard.core.manifest.kinds import POSTGRES, seed_steps

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", ""}


class SnapshotStepFailed(SeedFailed):
    """pg_dump, pg_restore (or another store's tool) failed while saving or restoring."""


@dataclass(frozen=True)
class PgTarget:
    """One database to dump: where it runs and how to reach it from inside its container."""

    step: str
    service: str
    database: str
    user: str
    port: int  # inside the container
    password: str

    @property
    def part_name(self) -> str:
        from wizard.core.snapshots.manifest import part_name

        return part_name("postgres-", re.sub(r"[^A-Za-z0-9._-]", "_", f"{self.service}-{self.database}"), ".dump")

    def about(self) -> dict:
        return {"kind": "postgres", "service": self.service, "database": self.database, "step": self.step}


def targets(stack, values: Mapping[str, str], containers: Sequence[ContainerState]) -> list[PgTarget]:
    """The databases the stack's postgres-seeds steps name, each matched to its running container."""
    from wizard.core.seeds.postgres.apply import resolve_step

    found: dict[tuple[str, str], PgTarget] = {}
    for step in seed_steps(stack.steps, POSTGRES):
        dsn, _folder = resolve_step(stack, step, values)
        info = _conninfo(dsn)
        host, port = str(info.get("host") or ""), int(info.get("port") or 5432)
        service, inner = serving(containers, host, port)
        if service is None:
            raise PreflightFailed(f"the database of step {step.name} ({host or 'localhost'}:{port}) is not running "
                                  "in this stack", "start it with `launcher up`, then run the command again")
        database = str(info.get("dbname") or info.get("user") or "postgres")
        target = PgTarget(step=step.name, service=service, database=database,
                          user=str(info.get("user") or "postgres"), port=inner, password=str(info.get("password") or ""))
        found.setdefault((service, database), target)
    return list(found.values())


def _conninfo(dsn: str) -> dict:
    """host, port, user, password, dbname of a DSN.

    URLs are split with urllib (psycopg's import alone costs as much as dumping a small
    database); the key=value form goes to psycopg's own parser.
    """
    from urllib.parse import unquote, urlsplit

    if not dsn.startswith(("postgresql://", "postgres://")):
        from psycopg.conninfo import conninfo_to_dict

        return conninfo_to_dict(dsn)
    url = urlsplit(dsn)
    return {"host": url.hostname or "", "port": url.port or 5432, "user": unquote(url.username or ""),
            "password": unquote(url.password or ""), "dbname": unquote(url.path.lstrip("/"))}


def serving(containers: Sequence[ContainerState], host: str, port: int) -> tuple[str | None, int]:
    for container in containers:
        if container.state != "running":
            continue
        if host in LOCAL_HOSTS:
            for published in container.ports:
                if published.port == port:
                    return container.service, published.target
        elif container.service == host:
            return container.service, port
    return None, port


def dump(target: PgTarget, container: str) -> Iterator[bytes]:
    """The custom-format dump of one database, as it streams out of pg_dump."""
    argv = _exec(container, "pg_dump", "--format=custom", *_connect(target), _dbname(target.database))
    try:
        yield from stream_out(argv, _env(target))
    except ExecStreamFailed as failed:
        raise _failed("pg_dump", target, failed.errors) from None


# The database under its own name is set aside (renamed) before pg_restore creates the
# snapshot's one, and dropped only once every store was restored; a failure renames it back.
# A restore stopped half way (SIGKILL) leaves the set-aside copy: the next restore keeps it as
# the database to go back to and replaces whatever stands under the name.
_SET_ASIDE = b"""
SELECT EXISTS (SELECT FROM pg_database WHERE datname = :'aside') AS has_aside,
       EXISTS (SELECT FROM pg_database WHERE datname = :'db') AS has_db \\gset
\\if :has_aside
DROP DATABASE IF EXISTS :"db" WITH (FORCE);
\\elif :has_db
SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :'db' AND pid <> pg_backend_pid();
ALTER DATABASE :"db" RENAME TO :"aside";
\\endif
"""
_PUT_BACK = b"""
SELECT EXISTS (SELECT FROM pg_database WHERE datname = :'aside') AS has_aside \\gset
\\if :has_aside
DROP DATABASE IF EXISTS :"db" WITH (FORCE);
ALTER DATABASE :"aside" RENAME TO :"db";
\\endif
"""
_DROP_ASIDE = b"""DROP DATABASE IF EXISTS :"aside" WITH (FORCE);\n"""


def aside_name(database: str) -> str:
    """The name a database is kept under while its replacement is restored (within 63 bytes)."""
    return "launcher_prev_" + hashlib.sha256(database.encode()).hexdigest()[:16]


def set_aside(target: PgTarget, container: str) -> None:
    """Rename the live database away (closing its connections); nothing is dropped."""
    _admin(target, container, _SET_ASIDE, "set the database aside before restoring it")


def put_back(target: PgTarget, container: str) -> None:
    """Undo set_aside: drop what the restore created and give the old database its name again."""
    _admin(target, container, _PUT_BACK, "put the database back after a failed restore")


def drop_aside(target: PgTarget, container: str) -> None:
    """The replacement is proven: the database set aside goes."""
    _admin(target, container, _DROP_ASIDE, "drop the old copy after the restore")


def restore(target: PgTarget, container: str, chunks: Iterable[bytes]) -> None:
    """Create the database from the dump under its name (set the old one aside first)."""
    argv = _exec(container, "pg_restore", "--exit-on-error", "--create", *_connect(target), "--dbname=template1",
                 interactive=True)
    try:
        stream_in(argv, chunks, _env(target))
    except ExecStreamFailed as failed:
        raise _failed("pg_restore", target, failed.errors) from None


def _admin(target: PgTarget, container: str, script: bytes, doing: str) -> None:
    # psql quotes the names itself (:"db"): a name is data, never spliced into SQL.
    argv = _exec(container, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", f"db={target.database}",
                 "-v", f"aside={aside_name(target.database)}", *_connect(target), "--dbname=template1",
                 interactive=True)
    result = subprocess.run(argv, input=script, capture_output=True, env={**current().environ(), **_env(target)})
    if result.returncode != 0:
        raise SnapshotStepFailed(f"could not {doing} (database {target.database} in service {target.service}): "
                                 f"{_last_line(result.stderr)}", f"see `launcher logs {target.service}`")


def _connect(target: PgTarget) -> list[str]:
    return ["--host=127.0.0.1", f"--port={target.port}", f"--username={target.user}", "--no-password"]


def _dbname(database: str) -> str:
    """The database as a quoted conninfo: a name that starts with '-' or holds '=' is still only a name."""
    from psycopg.conninfo import make_conninfo

    return "--dbname=" + make_conninfo(dbname=database)


def _exec(container: str, *command: str, interactive: bool = False) -> list[str]:
    return exec_argv(container, command, interactive=interactive, env_names=["PGPASSWORD"])


def _env(target: PgTarget) -> dict[str, str]:
    return {"PGPASSWORD": target.password}


def _failed(tool: str, target: PgTarget, errors: bytes) -> SnapshotStepFailed:
    return SnapshotStepFailed(f"{tool} of database {target.database} in service {target.service} failed: "
                              f"{_last_line(errors)}", f"see `launcher logs {target.service}`")


def _last_line(output: bytes) -> str:
    """The tool's own error line (pg_restore follows it with the failing command)."""
    lines = [line.strip() for line in output.decode("utf-8", "replace").splitlines() if line.strip()]
    errors = [line for line in lines if "error:" in line.lower() or line.startswith(("ERROR", "FATAL"))]
    return (errors or lines or ["no output"])[-1]
