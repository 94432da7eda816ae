"""A Postgres major move into a NEW volume: dump from the old server, restore into the new one, verify.

Dump and restore (pg_dumpall, then psql) rather than pg_upgrade: pg_upgrade needs both
versions' binaries in one container and writes beside the old cluster; a logical copy
needs only each image's own tools and never touches the old volume. The new server runs
in a temporary container (no network) of the new image; nothing is switched here. Any
failure removes the temporary container and the new volume, so the old volume and the
running stack are exactly as they were.
"""

from __future__ import annotations

import io
import secrets
import tarfile
import time

from wizard.core.support.errors import PreflightFailed
from wizard.core.docker.pgdata import PGDATA
from wizard.core.upgrade.plan import MajorChange

READY_TIMEOUT = 120.0
# On each new volume: the volume it was copied from, kept until `upgrade --finish`.
FROM_LABEL = "launcher.upgrade.from"
# What must be equal between old and new, per database: row counts, sequence values,
# functions and triggers (each a sorted listing that psql prints as text).
CHECKS = {
    "tables": "SELECT format('%I.%I', n.nspname, c.relname) || ' ' || (xpath('/row/c/text()', query_to_xml("
              "format('SELECT count(*) AS c FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text "
              "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') "
              "AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1",
    "sequences": "SELECT format('%I.%I', schemaname, sequencename) || ' ' || coalesce(last_value::text, '-') "
                 "FROM pg_sequences ORDER BY 1",
    "functions": "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                 "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
    "triggers": "SELECT tgrelid::regclass::text || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1",
}


class UpgradeFailed(PreflightFailed):
    """The new volume could not be written or did not verify; nothing was switched."""


def new_volume_name(change: MajorChange) -> str:
    return f"{change.volume}-pg{change.new_major}"


def copy_to_new_volume(client, change: MajorChange, old_container) -> tuple[str, dict]:
    """Write and verify the new volume; returns its name and the compared figures per database."""
    volume = new_volume_name(change)
    if any(v.name == volume for v in client.volumes.list(filters={"name": volume})):
        raise UpgradeFailed(f"volume {volume} exists already (an earlier upgrade's?)",
                            "remove it (`docker volume rm`) once you know it is not needed, then run the upgrade again")
    # No --clean: the new cluster is fresh, and a DROP DATABASE postgres in the dump would race
    # any session (autovacuum included) that the new server has open on it.
    dump = _run(old_container, ["pg_dumpall", "-U", "postgres"], "pg_dumpall")
    # The project's label, so whatever cleans up the project (`launcher gc`, the tests) finds it too.
    project = old_container.labels.get("com.docker.compose.project", "")
    client.volumes.create(name=volume, labels={"com.docker.compose.project": project, FROM_LABEL: change.volume})
    server = None
    try:
        # The initial password only lets initdb finish: the dump sets the roles' own passwords.
        server = client.containers.run(change.new_image, detach=True, network_mode="none",
                                       environment={"POSTGRES_PASSWORD": secrets.token_hex(16)},
                                       volumes={volume: {"bind": PGDATA, "mode": "rw"}})
        _wait_ready(server)
        server.put_archive("/tmp", _tar("upgrade.sql", dump))
        restored = server.exec_run(["psql", "-X", "-q", "-U", "postgres", "-d", "postgres", "-f", "/tmp/upgrade.sql"],
                                   user="postgres", demux=True)
        errors = [line for line in (restored.output[1] or b"").decode(errors="replace").splitlines() if "ERROR" in line]
        try:
            figures = compare(old_container, server)
        except UpgradeFailed as exc:
            raise UpgradeFailed(exc.message + (f"; the restore said: {errors[0]}" if errors else ""), exc.hint) from None
        server.stop(timeout=30)
        return volume, figures
    except BaseException:
        if server is not None:
            server.remove(force=True)
            server = None
        client.volumes.get(volume).remove(force=True)
        raise
    finally:
        if server is not None:
            server.remove(force=True)


def compare(old, new) -> dict:
    """Every check of every database, equal on both servers, or UpgradeFailed naming the first difference."""
    figures: dict = {}
    for database in _psql(old, "postgres", "SELECT datname FROM pg_database WHERE datallowconn "
                                           "AND NOT datistemplate ORDER BY 1").splitlines():
        for check, query in CHECKS.items():
            before, after = _psql(old, database, query), _psql(new, database, query)
            if before != after:
                raise UpgradeFailed(f"database {database}: the {check} differ after the restore "
                                    f"(old {before.splitlines()[:3]}, new {after.splitlines()[:3]})",
                                    "the old volume is untouched; see the restore's output above")
            figures[f"{database}:{check}"] = len(before.splitlines())
    return figures


def _psql(container, database: str, query: str) -> str:
    return _run(container, ["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-U", "postgres", "-d", database,
                            "-c", query], "psql").decode()


def _run(container, argv: list[str], what: str) -> bytes:
    result = container.exec_run(argv, user="postgres", demux=True)
    out, err = result.output
    if result.exit_code != 0:
        last = (err or b"").decode(errors="replace").strip().splitlines()[-1:] or ["(no output)"]
        raise UpgradeFailed(f"{what} failed in {container.name}: {last[0]}", "the old volume is untouched")
    return out or b""


def _wait_ready(server) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        server.reload()
        if server.status == "exited":
            raise UpgradeFailed(f"the new server ({server.image.tags}) exited while starting",
                                f"see `docker logs {server.name}`")
        if server.exec_run(["pg_isready", "-q", "-h", "127.0.0.1"]).exit_code == 0:
            return
        time.sleep(0.5)
    raise UpgradeFailed(f"the new server did not accept connections within {READY_TIMEOUT:.0f}s", "")


def _tar(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), 0o644
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
