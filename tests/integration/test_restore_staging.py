"""`snapshot restore` never destroys before the replacement is proven, and a killed one is finished by a rerun.

On the engine test stack (PostgreSQL, Redis on a volume, a files volume): a dump part cut in
half but consistent in the manifest, and a volume archive with members reaching out of the
volume, each leave every store as it was and the stack healthy, with one line saying what
failed; SIGKILLs at several points of a restore, each followed by a rerun, end with every
store as the snapshot had it and no database left aside.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import tarfile
import time

import pytest

from tests.conftest import launcher_command
from tests.integration.engine_stack import engine_stack, json_lines  # noqa: F401
from tests.integration.test_snapshots import (change_everything, files_state, logical, redis, redis_state,
                                              seed_from_real_dump, stack_dsn, web_sh)
from wizard.core.snapshots.manifest import manifest_hash

pytestmark = pytest.mark.integration


def state(stack, docker_client):
    return logical(stack, docker_client), redis_state(docker_client, stack), files_state(docker_client, stack)


def healthy(stack) -> bool:
    rows = json_lines(stack.launcher("status", "--json").stdout)[0]["services"]
    return bool(rows) and all(row["ready"] for row in rows)


def forge(folder, name: str, data: bytes) -> None:
    """Replace a part and make the manifest vouch for it again (as a careless or hostile editor would)."""
    import hashlib

    (folder / name).write_bytes(data)
    manifest = json.loads((folder / "manifest.json").read_text())
    for part in manifest["parts"]:
        if part["name"] == name:
            part["size"], part["sha256"] = len(data), hashlib.sha256(data).hexdigest()
    manifest["manifest_sha256"] = manifest_hash(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))


def hostile_tar() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        top = tarfile.TarInfo("snapshot-volume")
        top.type = tarfile.DIRTYPE
        tar.addfile(top)
        link = tarfile.TarInfo("snapshot-volume/escape")
        link.type, link.linkname = tarfile.SYMTYPE, "../../../../etc"
        tar.addfile(link)
        data = b"pwned\n"
        climb = tarfile.TarInfo("snapshot-volume/../../outside.txt")
        climb.size = len(data)
        tar.addfile(climb, io.BytesIO(data))
    return buffer.getvalue()


def dangling_link_tar() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        top = tarfile.TarInfo("snapshot-volume")
        top.type = tarfile.DIRTYPE
        tar.addfile(top)
        link = tarfile.TarInfo("snapshot-volume/broken")
        link.type, link.linkname = tarfile.LNKTYPE, "snapshot-volume/missing"
        tar.addfile(link)
    return buffer.getvalue()


def aside_databases(stack) -> list[str]:
    import psycopg

    with psycopg.connect(stack_dsn(stack).rsplit("/", 1)[0] + "/template1", autocommit=True) as conn:
        return [row[0] for row in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'launcher_prev_%'")]


def killed_restore(stack, name: str, marker: str, nth: int = 1) -> None:
    """Start `snapshot restore`, SIGKILL it once the nth line containing marker is printed."""
    process = subprocess.Popen([*launcher_command(), "snapshot", "restore", name, "--yes"], cwd=stack.root,
                               env={**os.environ, **stack.env, "NO_COLOR": "1"}, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if sum(marker in line for line in seen) == nth:
            break
    process.kill()
    process.wait(timeout=60)
    assert any(marker in line for line in seen), "".join(seen)
    time.sleep(0.5)


def test_a_failed_restore_changes_nothing_and_killed_restores_are_finished_by_a_rerun(
        engine_stack, docker_client, pg_admin_dsn):
    stack = engine_stack
    seed_from_real_dump(stack, pg_admin_dsn)
    assert stack.launcher("up", "--pull", "never").returncode == 0
    dsn = stack_dsn(stack)
    redis(docker_client, stack, "SET", "greeting", "snapshot")
    web_sh(docker_client, stack, "mkdir -p /srv/files/docs && echo snap > /srv/files/a.txt "
                                 "&& head -c 300000 /dev/urandom > /srv/files/docs/blob.bin")
    saved = stack.launcher("snapshot", "save", "good")
    assert saved.returncode == 0, saved.stderr
    snapshot = state(stack, docker_client)
    folder = stack.root / ".launcher" / "snapshots" / "good"

    change_everything(docker_client, stack, dsn)
    changed = state(stack, docker_client)
    assert changed != snapshot

    # A dump cut in half that the manifest vouches for: pg_restore fails, the live database stays.
    half = folder.with_name("half")
    subprocess.run(["cp", "-a", str(folder), str(half)], check=True)
    dump = half / "postgres-postgres-postgres.dump"
    forge(half, dump.name, dump.read_bytes()[: dump.stat().st_size // 2])
    failed = stack.launcher("snapshot", "restore", "half", "--yes")
    assert failed.returncode == 10, failed.stdout + failed.stderr
    assert "pg_restore" in failed.stderr and len(failed.stderr.strip().splitlines()) == 1, failed.stderr
    assert state(stack, docker_client) == changed
    assert healthy(stack) and aside_databases(stack) == []

    # A volume archive reaching out of its volume: refused before any store is touched.
    hostile = folder.with_name("hostile")
    subprocess.run(["cp", "-a", str(folder), str(hostile)], check=True)
    forge(hostile, f"volume-{stack.project}_files.tar", hostile_tar())
    refused = stack.launcher("snapshot", "restore", "hostile", "--yes")
    assert refused.returncode == 12, refused.stdout + refused.stderr
    assert "escape" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert state(stack, docker_client) == changed and healthy(stack)

    # An archive the check passes but the engine refuses half way through the volumes (a hard link to a
    # member that is not there): the database and the volume already refilled get their old content back.
    unpackable = folder.with_name("unpackable")
    subprocess.run(["cp", "-a", str(folder), str(unpackable)], check=True)
    forge(unpackable, f"volume-{stack.project}_redisdata.tar", dangling_link_tar())
    failed = stack.launcher("snapshot", "restore", "unpackable", "--yes")
    assert failed.returncode == 8 and "no such file" in failed.stderr, failed.stdout + failed.stderr
    assert "restoring volume-" in failed.stdout and len(failed.stderr.strip().splitlines()) == 1
    assert state(stack, docker_client) == changed and healthy(stack) and aside_databases(stack) == []
    assert not (stack.root / ".launcher" / "restore.json").exists() and aside_volumes(docker_client, stack) == []

    # Killed while restoring the database, then while refilling a volume, then while starting up:
    # each rerun picks up where the database set aside stands, the last one finishes.
    for marker in ("restoring postgres-", "restoring volume-", ".tar: "):
        killed_restore(stack, "good", marker)
    finished = stack.launcher("snapshot", "restore", "good", "--yes")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert state(stack, docker_client) == snapshot
    assert healthy(stack) and aside_databases(stack) == []


def test_a_reset_whose_seeds_fail_gives_every_volume_its_files_back(engine_stack, docker_client, pg_admin_dsn):
    stack = engine_stack
    seed_from_real_dump(stack, pg_admin_dsn)
    assert stack.launcher("up", "--pull", "never").returncode == 0
    change_everything(docker_client, stack, stack_dsn(stack))
    before = state(stack, docker_client)
    # A seed that cannot apply: the fresh database the reset makes would stay half seeded.
    (stack.root / "seeds" / "postgres" / "99_broken.sql").write_text("SELECT * FROM no_such_table;\n")

    failed = stack.launcher("reset", "--yes")
    assert failed.returncode == 10, failed.stdout + failed.stderr
    assert "99_broken.sql:1" in failed.stderr and len(failed.stderr.strip().splitlines()) == 1, failed.stderr
    assert state(stack, docker_client) == before
    assert healthy(stack)
    assert not [volume.name for volume in docker_client.volumes.list() if volume.name.startswith("launcher-prev-")
                and (volume.attrs.get("Labels") or {}).get("launcher.aside-of", "").startswith(stack.project)]


def aside_volumes(docker_client, stack) -> list[str]:
    return [volume.name for volume in docker_client.volumes.list(
        filters={"label": f"launcher.aside-project={stack.project}"})]


def test_a_killed_restore_stops_up_until_a_rerun_finishes_it_or_abandon_undoes_it(
        engine_stack, docker_client, pg_admin_dsn):
    stack = engine_stack
    seed_from_real_dump(stack, pg_admin_dsn)
    assert stack.launcher("up", "--pull", "never").returncode == 0
    redis(docker_client, stack, "SET", "greeting", "snapshot")
    web_sh(docker_client, stack, "echo snap > /srv/files/a.txt")
    assert stack.launcher("snapshot", "save", "good").returncode == 0
    snapshot = state(stack, docker_client)
    change_everything(docker_client, stack, stack_dsn(stack))

    # Killed while it restores Postgres (the dump's bytes flowing: the old database is aside): `up` refuses
    # in one line naming the snapshot and both ways out.
    killed_restore(stack, "good", "restoring postgres-", nth=2)
    refused = stack.launcher("up")
    assert refused.returncode == 8, refused.stdout + refused.stderr
    marker = stack.root / ".launcher" / "restore.json"
    assert oct(marker.stat().st_mode & 0o777) == "0o600"
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "snapshot good" in refused.stderr and "`launcher snapshot restore good`" in refused.stderr
    assert "`launcher snapshot restore --abandon`" in refused.stderr
    # Nor is a half-restored stack saved or reset.
    assert [stack.launcher(*command).returncode for command in (("snapshot", "save", "mixed"), ("reset", "--yes"))] \
        == [8, 8]
    # status and ls show it, with the database the server holds aside.
    shown = json_lines(stack.launcher("status", "--json").stdout)[0]["unfinished_restore"]
    assert shown["snapshot"] == "good" and shown["aside_databases"] == ["postgres"], shown
    assert "restore of snapshot good unfinished" in stack.launcher("status").stdout
    listed = stack.launcher("ls")
    assert f"{stack.project}: restore of snapshot good unfinished" in listed.stdout, listed.stdout
    # A rerun finishes it.
    finished = stack.launcher("snapshot", "restore", "good", "--yes")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert state(stack, docker_client) == snapshot
    assert not marker.exists() and aside_databases(stack) == [] and aside_volumes(docker_client, stack) == []

    # Killed while it refills a volume (the database already restored, every volume copied aside first):
    # --abandon gives every store its place back, the stack is as it was before that restore.
    change_everything(docker_client, stack, stack_dsn(stack))
    changed = state(stack, docker_client)
    killed_restore(stack, "good", "restoring volume-")
    assert stack.launcher("up").returncode == 8
    assert aside_volumes(docker_client, stack)
    undone = stack.launcher("snapshot", "restore", "--abandon", "--yes")
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert "put back database postgres" in undone.stdout
    assert state(stack, docker_client) == changed and healthy(stack)
    assert not marker.exists() and aside_databases(stack) == [] and aside_volumes(docker_client, stack) == []

    # A marker of another shape guards data all the same: one line naming the file, exit 3.
    marker.write_text('{"format": 1, "snapshot": "good"}')
    wrong = stack.launcher("up")
    assert wrong.returncode == 3 and len(wrong.stderr.strip().splitlines()) == 1, wrong.stderr
    assert ".launcher/restore.json" in wrong.stderr
