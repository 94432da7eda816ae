"""A Postgres major move into a NEW volume: dump from the old server, restore into the new one, verify.

Dump and restore (pg_dumpall, then psql) rather than pg_upgrade: pg_upgrade needs both
versions' binaries in one container and writes beside the old cluster; a logical copy
needs only each image's own tools and never touches the old volume. The dump streams
from one container to the other in chunks, never whole in memory. The new server runs
in a temporary container (no network) of the new image; nothing is switched here. Any
failure removes the temporary container and the new volume, so the old volume and the
running stack are exactly as they were.
"""

from __future__ import annotations

import secrets
import time
from typing import Callable, Generator, Iterator

from wizard.core.docker.execstream import ExecStreamFailed, exec_argv, stream_in, stream_out
from wizard.core.docker.pgdata import PGDATA
from wizard.core.snapshots.events import PartProgress
from wizard.core.snapshots.progress import Meter
from wizard.core.support.events import Event
from wizard.core.upgrade.evidence import FROM_LABEL, UPGRADE_ID_LABEL, find_volume
from wizard.core.upgrade.pgexec import UpgradeFailed, databases, last_line, psql_many
from wizard.core.upgrade.plan import MajorChange

READY_TIMEOUT = 120.0
PROGRESS_TICK = 0.5  # seconds between two looks at the copy's byte count
# On the temporary server, with the project: a rollback after a SIGKILL finds and removes it.
TEMPORARY_LABEL = "launcher.upgrade.temporary"
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
    # Names only: a new major may ship an extension at a newer version, which is the point.
    "extensions": "SELECT extname FROM pg_extension ORDER BY 1",
}
# Once per cluster: each role's attributes, whether it has a password (never the hash) and its
# memberships. The pg_ roles are the server's own and differ between majors by design.
ROLES = ("SELECT r.rolname || ' ' || concat_ws(',', r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, "
         "r.rolcanlogin, r.rolreplication, r.rolbypassrls, a.rolpassword IS NOT NULL) || ' ' || coalesce(("
         "SELECT string_agg(DISTINCT g.rolname, ',' ORDER BY g.rolname) FROM pg_auth_members m "
         "JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid), '') "
         "FROM pg_roles r JOIN pg_authid a ON a.oid = r.oid WHERE r.rolname !~ '^pg_' ORDER BY 1")


def new_volume_name(change: MajorChange) -> str:
    return f"{change.volume}-pg{change.new_major}"


def refuse_existing(client, changes) -> None:
    """Each major move's new volume must not exist yet: one that does is never written into, nor removed."""
    for change in changes:
        volume = new_volume_name(change)
        if find_volume(client, volume) is not None:
            raise UpgradeFailed(f"volume {volume} exists already (an earlier upgrade's?)",
                                "remove it (`docker volume rm`) once you know it is not needed, then run the upgrade "
                                "again; nothing was changed")


def copy_to_new_volume(client, change: MajorChange, old_container,
                       upgrade_id: str) -> Generator[Event, None, tuple[str, dict]]:
    """Write and verify the new volume, yielding the copy's progress; returns its name and the compared figures."""
    volume = new_volume_name(change)
    refuse_existing(client, [change])
    # The project's label, so whatever cleans up the project (`launcher gc`, the tests) finds it too; the
    # upgrade's id, so that a rollback removes only a volume this very run created (evidence.py).
    project = old_container.labels.get("com.docker.compose.project", "")
    client.volumes.create(name=volume, labels={"com.docker.compose.project": project, FROM_LABEL: change.volume,
                                               UPGRADE_ID_LABEL: upgrade_id})
    server = None
    try:
        # The initial password only lets initdb finish: the dump sets the roles' own passwords.
        server = client.containers.run(change.new_image, detach=True, network_mode="none",
                                       labels={TEMPORARY_LABEL: project},
                                       environment={"POSTGRES_PASSWORD": secrets.token_hex(16)},
                                       volumes={volume: {"bind": PGDATA, "mode": "rw"}})
        _wait_ready(server)
        restore = exec_argv(server.id, ["psql", "-X", "-q", "-U", "postgres", "-d", "postgres"], interactive=True,
                            user="postgres")
        try:
            said = yield from _copy_with_progress(restore, old_container, change,
                                                  abort=lambda: _remove(client, server.id))
        except ExecStreamFailed as failed:
            said = last_line(failed.errors.decode(errors="replace")) or "no output"
            raise UpgradeFailed(f"the copy failed: {said}", "the old volume is untouched") from None
        # "already exists" is the fresh cluster's own postgres role or database: expected, not the cause.
        errors = [line for line in said.decode(errors="replace").splitlines()
                  if "ERROR" in line and "already exists" not in line]
        try:
            figures = compare(old_container, server)
        except UpgradeFailed as exc:
            raise UpgradeFailed(exc.message + (f"; the restore said: {errors[0]}" if errors else ""), exc.hint) from None
        _stop_cleanly(server)
        return volume, figures
    except BaseException:
        if server is not None:
            _remove(client, server.id)
            server = None
        client.volumes.get(volume).remove(force=True)
        raise
    finally:
        if server is not None:
            _remove(client, server.id)


def _copy_with_progress(restore: list[str], old_container, change: MajorChange, *,
                        abort: Callable[[], None]) -> Generator[Event, None, bytes]:
    """The dump streamed into the restore on a worker thread, its bytes reported here every few percent.

    The total is the old databases' size on disk, an estimate (a dump holds no indexes), so the
    copy may end short of 100% and then says 100% once it is done.
    """
    from concurrent.futures import ThreadPoolExecutor, wait

    part = f"{change.service} (PostgreSQL {change.old_major} -> {change.new_major})"
    meter = Meter(change.database_bytes)

    def counted(chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            meter.done += len(chunk)
            yield chunk

    yield PartProgress(action="copy", part=part, percent=0, done=0, total=change.database_bytes)
    with ThreadPoolExecutor(max_workers=1) as pool:
        copying = pool.submit(stream_in, restore, counted(dump_stream(old_container)))
        try:
            while not wait([copying], timeout=PROGRESS_TICK).done:
                if meter.add(0):
                    yield PartProgress(action="copy", part=part, percent=meter.percent, done=meter.done,
                                       total=change.database_bytes)
        except BaseException:
            # Ctrl-C (or the generator closed): the pool would wait for the whole copy to end.
            # Taking the restoring server away breaks the pipe at once.
            abort()
            raise
        said = copying.result()
    yield PartProgress(action="copy", part=part, percent=100, done=meter.done, total=change.database_bytes)
    return said


def _remove(client, container_id: str) -> None:
    from docker.errors import NotFound

    try:
        client.containers.get(container_id).remove(force=True)
    except NotFound:
        pass  # already gone: a Ctrl-C took it away mid-copy


def dump_stream(old_container) -> Iterator[bytes]:
    """The whole old cluster as SQL, streamed: roles, then each database.

    No --clean: the new cluster is fresh, and a DROP DATABASE postgres in the dump would race
    any session (autovacuum included) that the new server has open on it.
    """
    return stream_out(exec_argv(old_container.id, ["pg_dumpall", "-U", "postgres"], user="postgres"))


def compare(old, new) -> dict:
    """Every check of every database, equal on both servers, or UpgradeFailed naming the first difference."""
    from concurrent.futures import ThreadPoolExecutor

    figures: dict = {}
    for index, database in enumerate(databases(old)):
        queries = {**({"roles": ROLES} if index == 0 else {}), **CHECKS}
        # One psql per server and database, both servers at once: the checks cost their scans, not round trips.
        with ThreadPoolExecutor(max_workers=2) as pool:
            before, after = pool.map(lambda server: _listings(server, database, queries), (old, new))
        for check in queries:
            what = "cluster: the roles" if check == "roles" else f"database {database}: the {check}"
            figures["roles" if check == "roles" else f"{database}:{check}"] = _same(before[check], after[check], what)
    return figures


def _listings(server, database: str, queries: dict[str, str]) -> dict[str, list[str]]:
    """Each query's rows, from one psql: a marker line before each, random so that no row can pass for one."""
    marker = f"@@{secrets.token_hex(8)}:"
    commands: list[str] = []
    for name, query in queries.items():
        commands += ["-c", f"\\echo {marker}{name}", "-c", query]
    found: dict[str, list[str]] = {}
    current: list[str] = []
    for line in psql_many(server, database, commands).splitlines():
        if line.startswith(marker):
            current = found.setdefault(line.removeprefix(marker), [])
        else:
            current.append(line)
    return found


def _same(before: list[str], after: list[str], what: str) -> int:
    """The rows of both servers, equal, or UpgradeFailed naming the first rows that differ."""
    if before != after:
        gone = sorted(set(before) - set(after))[:3]
        added = sorted(set(after) - set(before))[:3]
        raise UpgradeFailed(f"{what} differ after the restore (old {gone}, new {added})",
                            "the old volume is untouched; see the restore's output above")
    return len(before)


def _stop_cleanly(server) -> None:
    """A fast shutdown, waited for: the checkpoint is written before the volume is used elsewhere.

    Not `docker stop`: an entrypoint that runs the server under su or runuser passes on the
    SIGTERM and then kills the server two seconds later, checkpoint finished or not.
    """
    import requests.exceptions

    # Its own exit code is lost when the server's exit ends the container under it.
    server.exec_run(["pg_ctl", "stop", "-D", PGDATA, "-m", "fast", "-w", "-t", "120"], user="postgres")
    try:
        status = server.wait(timeout=120)["StatusCode"]
    except requests.exceptions.RequestException:
        server.stop(timeout=60)
        status = server.wait(timeout=60)["StatusCode"]
    if status != 0:
        raise UpgradeFailed(f"the new server did not shut down cleanly (exit {status})",
                            f"see `docker logs {server.name}`; the old volume is untouched")


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
