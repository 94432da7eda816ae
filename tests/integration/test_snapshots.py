"""Snapshots and reset on the real engine: the engine test stack with a real pg_dump-produced seed
(COPY blocks, functions, triggers), Redis with data on a volume, and one more named volume."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import stat
import subprocess

import pytest

from tests.conftest import default_sigint, launcher_command
from tests.integration.engine_stack import engine_stack, json_lines, project_containers  # noqa: F401
from tests.integration.pg_fixtures import fresh_database, query

pytestmark = pytest.mark.integration

SOURCE = """
CREATE TABLE public.people (id serial PRIMARY KEY, name text NOT NULL, note text, tags text[], born date);
CREATE TABLE public.audit (id serial PRIMARY KEY, person int, what text);
CREATE FUNCTION public.shout(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $fn$
BEGIN RETURN upper(t) || '!'; END;
$fn$;
CREATE FUNCTION public.log_person() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.audit (person, what) VALUES (NEW.id, TG_OP); RETURN NEW; END;
$$;
CREATE TRIGGER people_log AFTER INSERT OR UPDATE ON public.people FOR EACH ROW EXECUTE FUNCTION public.log_person();
INSERT INTO public.people (name, note, tags, born) VALUES
  ('Ann', E'multi\\nline; with $$ dollars', ARRAY['a;b', 'c"d'], '1990-01-02'),
  ('Émile ☃', NULL, '{}', NULL),
  ('Tab\tChar', '\\N literally', ARRAY[NULL, 'x'], '2000-02-29');
"""


def seed_from_real_dump(stack, admin_dsn: str) -> None:
    """A plain pg_dump of a scratch database becomes one more seed file of the stack."""
    with fresh_database(admin_dsn) as source:
        done = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", source], input=SOURCE,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        dump = subprocess.run(["pg_dump", "--format=plain", "-d", source], capture_output=True, text=True,
                              check=True).stdout
    assert "COPY public.people" in dump and "CREATE TRIGGER people_log" in dump
    folder = stack.root / "seeds" / "postgres" / "10_dump"
    folder.mkdir(parents=True)
    (folder / "001_people.sql").write_text(dump)


def stack_dsn(stack) -> str:
    values = dict(line.split("=", 1) for line in (stack.root / ".launcher" / "values.env").read_text().splitlines()
                  if "=" in line and not line.startswith("#"))
    password = values["PG_PASSWORD"].strip().strip("'\"")
    return f"postgresql://postgres:{password}@127.0.0.1:{stack.ports['PG_PORT']}/postgres"


def logical(stack, docker_client, *flags: str) -> str:
    """Everything pg_dump says about the database (the seed ledger included), minus its random keys.

    Run by the server's own pg_dump inside its container: a host pg_dump of another minor
    version prints server-internal column options that differ for every CREATE.
    """
    password = stack_dsn(stack).split(":")[2].split("@")[0]
    result = container(docker_client, stack, "postgres").exec_run(
        ["pg_dump", "--format=plain", "--host=127.0.0.1", "--username=postgres", *flags, "postgres"],
        environment={"PGPASSWORD": password}, demux=True)
    assert result.exit_code == 0, result.output[1]
    return re.sub(r"^\\(un)?restrict .*$", "", result.output[0].decode(), flags=re.MULTILINE)


def container(docker_client, stack, service):
    return project_containers(docker_client, stack.project)[service]


def redis(docker_client, stack, *command: str) -> str:
    result = container(docker_client, stack, "redis").exec_run(["redis-cli", "--raw", *command])
    assert result.exit_code == 0, result.output
    return result.output.decode()


def redis_state(docker_client, stack) -> dict[str, str]:
    keys = sorted(redis(docker_client, stack, "KEYS", "*").split())
    return {key: redis(docker_client, stack, "GET", key) for key in keys}


def files_state(docker_client, stack) -> str:
    result = container(docker_client, stack, "web").exec_run(
        ["sh", "-c", "cd /srv/files && find . -type f | sort | xargs -r md5sum"])
    return result.output.decode()


def web_sh(docker_client, stack, script: str) -> None:
    assert container(docker_client, stack, "web").exec_run(["sh", "-c", script]).exit_code == 0


def execute(dsn: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql)


def change_everything(docker_client, stack, dsn: str) -> None:
    execute(dsn, "INSERT INTO public.people (name) VALUES ('Intruder')")
    execute(dsn, "DELETE FROM public.people WHERE name = 'Ann'")
    execute(dsn, "DROP FUNCTION public.shout(text)")
    redis(docker_client, stack, "FLUSHALL")
    redis(docker_client, stack, "SET", "other", "value")
    web_sh(docker_client, stack, "rm -f /srv/files/a.txt && echo new > /srv/files/b.txt")


def test_save_change_restore_gives_back_every_store_and_refuses_damaged_snapshots(
        engine_stack, docker_client, pg_admin_dsn):
    stack = engine_stack
    seed_from_real_dump(stack, pg_admin_dsn)
    up = stack.launcher("up", "--pull", "never")
    assert up.returncode == 0, up.stdout + up.stderr
    dsn = stack_dsn(stack)
    redis(docker_client, stack, "SET", "greeting", "hello; world")
    redis(docker_client, stack, "RPUSH", "queue", "a", "b")
    web_sh(docker_client, stack, "mkdir -p /srv/files/docs && echo hello > /srv/files/a.txt "
                                 "&& head -c 300000 /dev/urandom > /srv/files/docs/blob.bin")
    before_pg, before_redis, before_files = logical(stack, docker_client), redis_state(docker_client, stack), files_state(
        docker_client, stack)
    assert "COPY public.people" in before_pg and "launcher.applied_seeds" in before_pg
    assert before_redis["greeting"].strip() == "hello; world" and "blob.bin" in before_files

    saved = stack.launcher("snapshot", "save", "first", "--json")
    assert saved.returncode == 0, saved.stdout + saved.stderr
    events = json_lines(saved.stdout)
    assert any(e["event"] == "part-progress" for e in events)
    assert [e["percent"] for e in events if e["event"] == "part-done"][-1] == 100
    finished = events[-1]
    assert finished["event"] == "finished" and finished["ok"]
    folder = stack.root / ".launcher" / "snapshots" / "first"
    manifest = json.loads((folder / "manifest.json").read_text())
    parts = {part["name"]: part for part in manifest["parts"]}
    assert set(parts) == {"postgres-postgres-postgres.dump", f"volume-{stack.project}_redisdata.tar",
                          f"volume-{stack.project}_files.tar", "values.env"}
    assert manifest["stack"] == stack.project and manifest["images"]["postgres"].startswith("sha256:")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(path.stat().st_mode) for path in folder.iterdir()} == {0o600}
    assert not [path for path in folder.parent.iterdir() if path.name.startswith(".")]
    # The services writing a volume were stopped for the copy and are healthy again.
    status = json_lines(stack.launcher("status", "--json").stdout)[0]
    assert all(row["ready"] for row in status["services"])
    assert status["last_snapshot"] == {"name": "first", "created": manifest["created"]}
    assert f"last snapshot: first, taken {manifest['created']}" in stack.launcher("status").stdout

    # A disk that fills up mid-save (a file size limit here): one line, nothing left under the name.
    full = subprocess.run([*launcher_command(), "snapshot", "save", "full"], cwd=stack.root, capture_output=True,
                          text=True, env={**os.environ, **stack.env, "NO_COLOR": "1"}, stdin=subprocess.DEVNULL,
                          preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000)))
    assert full.returncode == 10, full.stdout + full.stderr
    assert "File too large" in full.stderr and len(full.stderr.strip().splitlines()) == 1
    assert sorted(path.name for path in folder.parent.iterdir()) == ["first"]
    # The services it had stopped for the copy were started again; `up` waits until they are healthy.
    assert stack.launcher("up").returncode == 0

    listed = stack.launcher("snapshot", "list", "--json")
    (row,) = json.loads(listed.stdout)["snapshots"]
    assert row["name"] == "first" and row["encrypted"] is False and len(row["parts"]) == 4

    change_everything(docker_client, stack, dsn)
    assert logical(stack, docker_client) != before_pg

    # Damaged copies are refused before anything changes: a flipped byte, a truncated part.
    flipped = folder.with_name("flipped")
    shutil.copytree(folder, flipped)
    dump = flipped / "postgres-postgres-postgres.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0x01
    dump.write_bytes(bytes(data))
    truncated = folder.with_name("truncated")
    shutil.copytree(folder, truncated)
    tar = truncated / f"volume-{stack.project}_files.tar"
    tar.write_bytes(tar.read_bytes()[:-1000])
    changed = logical(stack, docker_client)
    started = {name: c.attrs["State"]["StartedAt"] for name, c in project_containers(docker_client, stack.project).items()}
    for name, words in (("flipped", "sha256"), ("truncated", "truncated")):
        refused = stack.launcher("snapshot", "restore", name, "--yes")
        assert refused.returncode == 12, refused.stdout + refused.stderr
        assert words in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert logical(stack, docker_client) == changed
    assert {name: c.attrs["State"]["StartedAt"]
            for name, c in project_containers(docker_client, stack.project).items()} == started
    # A snapshot taken with another stack.toml is refused unless --force.
    edited = stack.root / "stack.toml"
    original = edited.read_text()
    edited.write_text(original + "\n# edited\n")
    foreign = stack.launcher("snapshot", "restore", "first", "--yes")
    assert foreign.returncode == 12 and "--force" in foreign.stderr
    edited.write_text(original)
    asked = stack.launcher("snapshot", "restore", "first", "--non-interactive")
    assert asked.returncode == 11

    # Ctrl-C once the restore has started: it says where each part stands and how to finish.
    process = subprocess.Popen([*launcher_command(), "snapshot", "restore", "first", "--yes"], cwd=stack.root,
                               env={**os.environ, **stack.env, "NO_COLOR": "1"}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, preexec_fn=default_sigint)
    assert process.stdout is not None
    for line in process.stdout:
        if "] restoring " in line:
            break
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "restore of snapshot first interrupted; where each part stands:" in err
    # Databases go first (each kept aside until every store is restored), then the volumes.
    assert re.search(r"^  postgres-postgres-postgres.dump: (in progress|restored)$", err, re.MULTILINE), err
    assert "run `launcher snapshot restore first` again" in err

    restored = stack.launcher("snapshot", "restore", "first", "--yes")
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert re.search(r"^\[ *\d+%\] restoring postgres-postgres-postgres.dump", restored.stdout, re.MULTILINE)
    after_pg = logical(stack, docker_client)
    import difflib
    assert after_pg == before_pg, "".join(difflib.unified_diff(before_pg.splitlines(True), after_pg.splitlines(True)))
    assert redis_state(docker_client, stack) == before_redis
    assert files_state(docker_client, stack) == before_files
    status = json_lines(stack.launcher("status", "--json").stdout)[0]["services"]
    assert all(row["ready"] for row in status), status
    # The seed ledger came back with the data: the next `up` applies nothing.
    again = stack.launcher("up", "--json")
    assert again.returncode == 0, again.stderr
    assert not any(e["event"] == "step-progress" and e["message"].startswith("applied")
                   for e in json_lines(again.stdout))

    removed = stack.launcher("snapshot", "rm", "flipped", "--yes")
    assert removed.returncode == 0 and not flipped.exists()
    unknown = stack.launcher("snapshot", "restore", "nope", "--yes")
    assert unknown.returncode == 2 and "snapshot list" in unknown.stderr


def test_reset_gives_the_seeded_state_and_an_encrypted_snapshot_needs_its_passphrase(
        engine_stack, docker_client, pg_admin_dsn):
    stack = engine_stack
    seed_from_real_dump(stack, pg_admin_dsn)
    up = stack.launcher("up", "--pull", "never")
    assert up.returncode == 0, up.stdout + up.stderr
    dsn = stack_dsn(stack)
    seeded = logical(stack, docker_client, "--exclude-schema=launcher")  # the ledger's applied times differ after a reset
    change_everything(docker_client, stack, dsn)
    changed = logical(stack, docker_client)

    passphrase = {"LAUNCHER_SNAPSHOT_PASSPHRASE": "correct horse battery staple"}
    saved = stack.launcher("snapshot", "save", "sealed", "--encrypt", env=passphrase)
    assert saved.returncode == 0, saved.stdout + saved.stderr
    assert "encrypted" in saved.stdout.splitlines()[-1]
    folder = stack.root / ".launcher" / "snapshots" / "sealed"
    password = stack_dsn(stack).split(":")[2].split("@")[0]
    assert password.encode() not in (folder / "values.env").read_bytes()
    assert b"b.txt" not in (folder / f"volume-{stack.project}_files.tar").read_bytes()

    refused = stack.launcher("reset", "--non-interactive")
    assert refused.returncode == 11
    reset = stack.launcher("reset", "--yes")
    assert reset.returncode == 0, reset.stdout + reset.stderr
    assert logical(stack, docker_client, "--exclude-schema=launcher") == seeded
    assert query(dsn, "SELECT count(*) FROM launcher.applied_seeds")[0][0] == 2

    no_passphrase = stack.launcher("snapshot", "restore", "sealed", "--yes")
    assert no_passphrase.returncode == 12 and "LAUNCHER_SNAPSHOT_PASSPHRASE" in no_passphrase.stderr
    wrong = stack.launcher("snapshot", "restore", "sealed", "--yes", env={"LAUNCHER_SNAPSHOT_PASSPHRASE": "wrong"})
    assert wrong.returncode == 12 and "wrong passphrase" in wrong.stderr
    assert "correct horse" not in wrong.stderr
    assert logical(stack, docker_client, "--exclude-schema=launcher") == seeded

    restored = stack.launcher("snapshot", "restore", "sealed", "--yes", env=passphrase)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert logical(stack, docker_client) == changed
    assert redis_state(docker_client, stack) == {"other": "value\n"}


def test_restore_into_a_fresh_clone_brings_the_values_back_with_with_secrets(engine_stack, docker_client, tmp_path):
    stack = engine_stack
    up = stack.launcher("up", "--pull", "never")
    assert up.returncode == 0, up.stdout + up.stderr
    redis(docker_client, stack, "SET", "moved", "yes")
    saved = stack.launcher("snapshot", "save", "move")
    assert saved.returncode == 0, saved.stdout + saved.stderr
    before_pg = logical(stack, docker_client)
    refuse_a_forged_foreign_volume(stack, docker_client)
    gone = stack.launcher("down", "--volumes", "--yes")
    assert gone.returncode == 0, gone.stderr

    # Another folder, initialised afresh (new secrets), with the snapshot carried over.
    clone = tmp_path / "clone"
    shutil.copytree(stack.root, clone, ignore=shutil.ignore_patterns(".launcher", ".env"))
    # As on another machine (its own instance registry): there the clone is the stack's first instance,
    # the same compose project; on this one it would be an instance of its own, with its own volumes.
    moved = {**stack.env, "XDG_STATE_HOME": str(tmp_path / "other-machine")}
    init = stack.run("init", "--non-interactive", *(f"--set={k}={v}" for k, v in stack.ports.items()), cwd=clone,
                     env=moved)
    assert init.returncode == 0, init.stderr
    old_values = (stack.root / ".launcher" / "values.env").read_bytes()
    assert (clone / ".launcher" / "values.env").read_bytes() != old_values
    shutil.copytree(stack.root / ".launcher" / "snapshots", clone / ".launcher" / "snapshots")

    restored = stack.run("snapshot", "restore", "move", "--yes", "--with-secrets", cwd=clone, env=moved)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert (clone / ".launcher" / "values.env").read_bytes() == old_values
    assert stat.S_IMODE((clone / ".launcher" / "values.env").stat().st_mode) == 0o600
    assert (clone / ".env").read_text() == (stack.root / ".env").read_text()
    assert logical(stack, docker_client) == before_pg
    assert redis_state(docker_client, stack) == {"moved": "yes\n"}
    # The volumes the restore made (none was there) are compose's own, as `up` would have made them:
    # setting a missing one aside first had the engine create it unlabelled, left behind by `down`.
    for key in ("files", "redisdata"):
        labels = docker_client.volumes.get(f"{stack.project}_{key}").attrs["Labels"] or {}
        assert (labels.get("com.docker.compose.project"), labels.get("com.docker.compose.volume")) == \
            (stack.project, key), labels


def refuse_a_forged_foreign_volume(stack, docker_client) -> None:
    """A manifest edited (and re-hashed) to name another project's volume: refused, that volume and
    the container using it untouched, even with --force."""
    from wizard.core.snapshots.manifest import manifest_hash

    foreign = f"{stack.project}-foreign-precious"
    volume = docker_client.volumes.create(name=foreign, labels={"com.docker.compose.project": f"{stack.project}-x"})
    user = docker_client.containers.create("launcher-test/busybox:1", command=["true"],
                                           volumes={foreign: {"bind": "/data", "mode": "rw"}})
    try:
        source = stack.root / ".launcher" / "snapshots" / "move"
        forged = source.with_name("forged")
        shutil.copytree(source, forged)
        manifest = json.loads((forged / "manifest.json").read_text())
        part = next(p for p in manifest["parts"] if p["name"] == f"volume-{stack.project}_redisdata.tar")
        part.update(volume=foreign, key="precious")
        manifest["manifest_sha256"] = manifest_hash(manifest)
        (forged / "manifest.json").write_text(json.dumps(manifest))
        refused = stack.launcher("snapshot", "restore", "forged", "--force", "--yes")
        assert refused.returncode == 12, refused.stdout + refused.stderr
        assert foreign in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
        user.reload()
        docker_client.volumes.get(foreign)
        assert redis_state(docker_client, stack) == {"moved": "yes\n"}
        shutil.rmtree(forged)
    finally:
        import docker.errors

        for leftover in (user, volume):  # the container is gone if a restore wrongly removed it
            try:
                leftover.remove(force=True)
            except docker.errors.NotFound:
                pass
