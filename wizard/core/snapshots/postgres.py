"""PostgreSQL parts: `pg_dump -Fc` and `pg_restore` run inside the database's own container.

Running the tools in the server's container means their version always matches
the server (a host pg_dump older than the server refuses to dump). Which
container: the one publishing the port the postgres-seeds step's DSN connects to
(or the service the DSN names as its host). The password reaches the tool as
PGPASSWORD through `docker exec -e PGPASSWORD`, never on a command line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Iterable, Iterator, Mapping, Sequence

from wizard.core.docker.containers import ContainerState
from wizard.core.support.errors import DockerUnavailable, PreflightFailed, SeedFailed
from wizard.core.manifest.kinds import POSTGRES, seed_steps

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", ""}
READ_CHUNK = 1 << 20


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
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors,
                                   env=_env(target))
        try:
            assert process.stdout is not None
            while data := process.stdout.read(READ_CHUNK):
                yield data
        finally:
            if process.poll() is None:
                process.kill()
            code = process.wait()
        if code != 0:
            raise _failed("pg_dump", target, errors)


def restore(target: PgTarget, container: str, chunks: Iterable[bytes]) -> None:
    """Replace the database with the dump: drop it (closing its connections), recreate it from the dump."""
    # psql quotes the name itself (:"db"): the name is data, never spliced into SQL.
    drop = _exec(container, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", f"db={target.database}",
                 *_connect(target), "--dbname=template1", interactive=True)
    result = subprocess.run(drop, input=b'DROP DATABASE IF EXISTS :"db" WITH (FORCE);\n', capture_output=True,
                            env=_env(target))
    if result.returncode != 0:
        raise SnapshotStepFailed(f"could not drop database {target.database} in service {target.service} before "
                                 f"restoring it: {_last_line(result.stderr)}",
                                 f"see `launcher logs {target.service}`")
    argv = _exec(container, "pg_restore", "--exit-on-error", "--create", *_connect(target), "--dbname=template1",
                 interactive=True)
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors,
                                   env=_env(target))
        assert process.stdin is not None
        try:
            for data in chunks:
                process.stdin.write(data)
            process.stdin.close()
        except BrokenPipeError:
            pass  # pg_restore stopped reading: its exit code and stderr say why
        except BaseException:
            process.kill()
            process.wait()
            raise
        if process.wait() != 0:
            raise _failed("pg_restore", target, errors)


def _connect(target: PgTarget) -> list[str]:
    return ["--host=127.0.0.1", f"--port={target.port}", f"--username={target.user}", "--no-password"]


def _dbname(database: str) -> str:
    """The database as a quoted conninfo: a name that starts with '-' or holds '=' is still only a name."""
    from psycopg.conninfo import make_conninfo

    return "--dbname=" + make_conninfo(dbname=database)


def _exec(container: str, *command: str, interactive: bool = False) -> list[str]:
    docker = shutil.which("docker")
    if not docker:
        raise DockerUnavailable("the docker command is not on PATH (needed to run pg_dump inside the container)",
                                "install the Docker CLI")
    return [docker, "exec", *(["-i"] if interactive else []), "-e", "PGPASSWORD", container, *command]


def _env(target: PgTarget) -> dict[str, str]:
    return {**os.environ, "PGPASSWORD": target.password}


def _failed(tool: str, target: PgTarget, errors) -> SnapshotStepFailed:
    errors.seek(0)
    return SnapshotStepFailed(f"{tool} of database {target.database} in service {target.service} failed: "
                              f"{_last_line(errors.read())}", f"see `launcher logs {target.service}`")


def _last_line(output: bytes) -> str:
    """The tool's own error line (pg_restore follows it with the failing command)."""
    lines = [line.strip() for line in output.decode("utf-8", "replace").splitlines() if line.strip()]
    errors = [line for line in lines if "error:" in line.lower() or line.startswith(("ERROR", "FATAL"))]
    return (errors or lines or ["no output"])[-1]
