"""Know, without connecting, that a daily `up` has no seed file to apply.

A no-op `up` used to connect to PostgreSQL (and import psycopg) only to learn
that every seed file was applied already. After a run of the ``postgres-seeds``
step in which every file ended applied or unchanged, a small record is kept in
the launcher's cache folder, keyed by:

- the step's DSN as resolved today (so a rotated password or another port or
  database misses; the DSN itself is only hashed, never written),
- the path and SHA-256 of every seed file (a changed, new or removed file misses),
- the id and start time of the stack's container that publishes the DSN's port
  (a recreated, restarted or removed database container misses).

Nothing else can make the answer wrong short of someone editing the database by
hand while its container runs. When the DSN does not point at a port published
by one of the stack's containers (a database outside the stack), or the engine
is not a plain local one, there is no record and the step connects as before.
"""

from __future__ import annotations

import hashlib
from typing import Any, Sequence
from urllib.parse import urlsplit

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]", "")


class AppliedRecord:
    """The record for one step's current inputs: ``hit()`` when it was stored, ``store()`` after a clean run."""

    def __init__(self, name: str, key: str) -> None:
        self.name = name
        self.key = key

    def hit(self) -> bool:
        from wizard.core.support.cache import cache_read

        return cache_read(self.name, self.key) is not None

    def store(self) -> None:
        from wizard.core.support.cache import cache_write

        cache_write(self.name, self.key, {"applied": True})


def applied_record(stack: Any, step_name: str, dsn: str, files: Sequence[Any]) -> AppliedRecord | None:
    """The record for these inputs, or None when the database is not one of the stack's containers."""
    port = _local_port(dsn)
    if port is None:
        return None
    started = _database_container(stack, port)
    if started is None:
        return None
    digest = hashlib.sha256()
    for part in (dsn, started, *(f"{seed.path}\0{seed.sha256}" for seed in files)):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    where = hashlib.sha256(f"{stack.root}\0{step_name}".encode()).hexdigest()[:16]
    return AppliedRecord(f"seeds-{where}", digest.hexdigest())


def _local_port(dsn: str) -> int | None:
    """The port of a URL-form DSN on this machine (5432 when left out); None otherwise."""
    if not dsn.startswith(("postgresql://", "postgres://")):
        return None
    try:
        parts = urlsplit(dsn)
        host, port = parts.hostname or "", parts.port or 5432
    except ValueError:
        return None
    if "," in parts.netloc or host not in LOCAL_HOSTS:
        return None  # several hosts, or another machine
    return port


def _database_container(stack: Any, port: int) -> str | None:
    """"id@StartedAt" of the stack's running container publishing ``port`` on this machine, else None."""
    from wizard.core.docker.containers import PROJECT_LABEL, container_from_summary
    from wizard.core.docker.lightclient import LightClient

    client = LightClient.for_environment()
    if client is None:
        return None
    summaries = client.containers({"label": [f"{PROJECT_LABEL}={stack.project}"]})
    for summary in summaries:
        container = container_from_summary(summary)
        if container.state == "running" and any(p.port == port and p.local for p in container.ports):
            state = client.get(f"/containers/{container.id}/json").get("State") or {}
            return f"{container.id}@{state.get('StartedAt', '')}"
    return None
