"""What a snapshot may touch: only this project's volumes and containers, only declared values
(with a backup), only named snapshots; damaged manifests and engine refusals are one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import docker.errors
import pytest

from wizard.core.support.errors import PreflightFailed, SnapshotInvalid
from wizard.core.snapshots import manifest as manifests
from wizard.core.snapshots import postgres, volumes

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "secrets_stack"


def fake_stack(tmp_path: Path, name: str = "demo"):
    (tmp_path / "stack.toml").write_text(f'[stack]\nname = "{name}"\n')
    return SimpleNamespace(name=name, root=tmp_path, manifest=tmp_path / "stack.toml")


def write_snapshot(stack, name: str, parts: dict[str, bytes], **about):
    writer = manifests.PartWriter(manifests.snapshots_dir(stack) / name)
    for part, data in parts.items():
        handle = writer.open(part)
        handle.write(data)
        handle.close(kind="volume", **about)
    return writer.commit({"format": manifests.FORMAT, "stack": stack.name, "created": "2026-01-01T00:00:00+00:00",
                          "stack_manifest_sha256": manifests.file_sha256(stack), "encryption": None})


def rewrite(folder: Path, change) -> None:
    """Edit a manifest and seal it again with a matching hash (as a careful forger would)."""
    path = folder / manifests.MANIFEST
    manifest = json.loads(path.read_text())
    change(manifest)
    manifest["manifest_sha256"] = manifests.manifest_hash(manifest)
    path.write_text(json.dumps(manifest))


# --------------------------------------------------------------------------- damaged manifests (4)


@pytest.mark.parametrize("change", [
    lambda m: m.update(parts="not a list"),
    lambda m: m.update(parts=["a.tar"]),
    lambda m: m["parts"][0].update(size="12"),
    lambda m: m["parts"][0].update(size=True),
    lambda m: m["parts"][0].update(name=7),
    lambda m: m["parts"][0].pop("sha256"),
    lambda m: m["parts"][0].update(volume=["x"]),
    lambda m: m.update(created=3),
])
def test_a_damaged_manifest_is_invalid_and_list_and_status_skip_it(tmp_path, change):
    stack = fake_stack(tmp_path)
    write_snapshot(stack, "good", {"a.tar": b"x"})
    bad = write_snapshot(stack, "bad", {"a.tar": b"y"})
    rewrite(bad, change)
    with pytest.raises(SnapshotInvalid, match="damaged"):
        manifests.load(bad)
    listed = {folder.name: (snap, problem) for folder, snap, problem in manifests.list_snapshots(stack)}
    assert listed["bad"][0] is None and "damaged" in listed["bad"][1]
    assert listed["good"][0] is not None
    assert manifests.last_snapshot(stack)["name"] == "good"


# --------------------------------------------------------------------------- part names (7)


def test_a_long_volume_name_gives_a_part_name_the_manifest_accepts(tmp_path):
    long_a, long_b = "p" * 110 + "_a", "p" * 110 + "_b"
    names = [volumes.VolumeUse(name=name, key="k").part_name for name in (long_a, long_b)]
    assert all(manifests.NAME.fullmatch(name) for name in names) and names[0] != names[1]
    assert volumes.VolumeUse(name="demo_data", key="data").part_name == "volume-demo_data.tar"
    stack = fake_stack(tmp_path)
    folder = write_snapshot(stack, "long", {names[0]: b"x"})
    assert manifests.load(folder).parts[0]["name"] == names[0]


# --------------------------------------------------------------------------- volumes of this project only (1)


class FakeContainer:
    def __init__(self, name: str, project: str | None) -> None:
        self.name = name
        self.labels = {volumes.PROJECT_LABEL: project} if project else {}
        self.removed = False

    def remove(self, force: bool = False) -> None:
        self.removed = True


class FakeClient:
    """Containers per volume; records every filter it is asked for."""

    def __init__(self, users: dict[str, list[FakeContainer]], labelled=()) -> None:
        self.users = users
        self.filters: list[dict] = []
        self.containers = SimpleNamespace(list=self._containers)
        self.volumes = SimpleNamespace(list=lambda filters: [SimpleNamespace(name=name, attrs={"Labels": labels})
                                                             for name, labels in labelled])

    def _containers(self, all: bool, filters: dict):
        self.filters.append(filters)
        found = self.users.get(filters["volume"], [])
        if "label" in filters:
            project = filters["label"].split("=", 1)[1]
            found = [c for c in found if c.labels.get(volumes.PROJECT_LABEL) == project]
        return found


class FakeEngine:
    """Enough of Engine for the checks a restore makes before it changes anything."""

    def __init__(self, client: FakeClient, project: str = "mine") -> None:
        self.client = client
        self.project = project
        self.compose_calls: list[tuple] = []
        self.config = {"volumes": {"data": {}}, "services": {
            "db": {"volumes": [{"type": "volume", "source": "data", "target": "/data"}]}}}

    def ping(self) -> None:
        pass

    def run_compose(self, *args, **options):
        self.compose_calls.append(args)
        if args[0] == "config":
            return SimpleNamespace(stdout=json.dumps(self.config))
        raise AssertionError(f"the restore changed something: compose {args}")

    def model(self):
        raise AssertionError("the restore went past its checks")


def test_a_part_maps_to_this_projects_volume_and_a_foreign_volume_is_refused():
    engine = FakeEngine(FakeClient({}, labelled=[("mine_extra", {volumes.VOLUME_LABEL: "extra"})]))
    own = volumes.own_volumes(engine)
    assert set(own) == {"mine_data", "mine_extra"}
    assert volumes.restore_target({"volume": "mine_data", "key": "data"}, own, "mine") == "mine_data"
    # Another stack's snapshot (--force): the same compose key lands in this project's volume.
    assert volumes.restore_target({"volume": "theirs_data", "key": "data"}, own, "mine") == "mine_data"
    with pytest.raises(SnapshotInvalid, match="not a volume of compose project mine"):
        volumes.restore_target({"name": "volume-x.tar", "volume": "theirs_precious", "key": "precious"}, own, "mine")


def test_only_the_projects_containers_are_removed_and_foreign_users_block_the_restore():
    mine, theirs = FakeContainer("mine-db-1", "mine"), FakeContainer("theirs-db-1", "theirs")
    client = FakeClient({"mine_data": [mine, theirs]})
    assert volumes.in_use_by(client, "mine_data", "mine") == [mine]
    assert client.filters[-1]["label"] == f"{volumes.PROJECT_LABEL}=mine"
    assert volumes.foreign_users(client, "mine_data", "mine") == ["theirs-db-1"]


def restore_events(snapshot_parts, client, tmp_path):
    from wizard.core.snapshots import restore

    stack = fake_stack(tmp_path)
    folder = write_snapshot(stack, "s", {"volume-theirs_precious.tar": b"x"}, volume="theirs_precious",
                            key="precious")
    if snapshot_parts:
        rewrite(folder, snapshot_parts)
    snapshot = manifests.load(folder)
    engine = FakeEngine(client)
    return engine, list(restore.restore(stack, snapshot, None, engine=engine))


def test_a_restore_naming_another_projects_volume_changes_nothing(tmp_path):
    victim = FakeContainer("theirs-db-1", "theirs")
    with pytest.raises(SnapshotInvalid, match="theirs_precious"):
        restore_events(None, FakeClient({"theirs_precious": [victim]}), tmp_path)
    assert not victim.removed


def test_a_volume_also_mounted_outside_the_project_is_refused_before_anything_changes(tmp_path):
    victim = FakeContainer("theirs-db-1", "theirs")
    point_at_mine = lambda m: m["parts"][0].update(volume="mine_data", key="data")  # noqa: E731
    with pytest.raises(PreflightFailed, match="theirs-db-1"):
        restore_events(point_at_mine, FakeClient({"mine_data": [victim]}), tmp_path)
    assert not victim.removed


# --------------------------------------------------------------------------- engine refusals are one line (6)


def api_error(*args, **kwargs):
    raise docker.errors.APIError("409 Conflict", explanation="volume is in use - [abc123]")


def test_engine_refusals_become_launcher_errors():
    gone = SimpleNamespace(remove=api_error, attrs={})
    client = SimpleNamespace(volumes=SimpleNamespace(get=lambda name: gone),
                             containers=SimpleNamespace(list=lambda all, filters: []))
    with pytest.raises(PreflightFailed, match="refused to remove volume v: volume is in use"):
        volumes.remove(client, "v", "mine")
    with pytest.raises(PreflightFailed, match="refused to replace volume v"):
        volumes.replace(client, "v", "k", "mine", "img", [b""])
    broken = SimpleNamespace(containers=SimpleNamespace(list=api_error))
    with pytest.raises(PreflightFailed):
        volumes.in_use_by(broken, "v", "mine")


# --------------------------------------------------------------------------- pg_dump's database (8)


def test_pg_dump_is_given_the_database_as_a_quoted_name_never_an_option(monkeypatch):
    seen = []

    class Stop(Exception):
        pass

    def popen(argv, **kwargs):
        seen.append(argv)
        raise Stop

    from wizard.core.docker import execstream

    monkeypatch.setattr(execstream.shutil, "which", lambda name: "/usr/bin/docker")
    monkeypatch.setattr(execstream.subprocess, "Popen", popen)
    target = postgres.PgTarget(step="s", service="db", database="--file=/tmp/x", user="u", port=5432, password="p")
    with pytest.raises(Stop):
        next(postgres.dump(target, "cid"))
    argv = seen[0]
    assert "--file=/tmp/x" not in argv
    assert argv[-1] == "--dbname=dbname=--file=/tmp/x"


# --------------------------------------------------------------------------- --with-secrets (2)


@pytest.fixture
def initialised(tmp_path):
    from wizard.core.values.envfiles import write_outputs
    from wizard.core.manifest.stack import load_stack
    from wizard.core.values.resolution import existing_values, resolve_values

    root = tmp_path / "stack"
    shutil.copytree(FIXTURE, root)
    stack = load_stack(root / "stack.toml")
    write_outputs(stack, resolve_values(stack, {}, existing_values(stack)).values)
    return stack


def test_with_secrets_keeps_declared_values_backs_up_the_old_store_and_refuses_bad_text(initialised):
    from wizard.core.values.envfiles import store_path
    from wizard.core.snapshots.restore import _restore_values
    from wizard.core.values.resolution import current_values

    stack = initialised
    store = store_path(stack)
    old = store.read_bytes()
    values = current_values(stack)
    name = sorted(values)[0]
    for bad in (b"\xff\xfe not text", b"GOOD=1\nthis line is broken\n"):
        with pytest.raises(SnapshotInvalid, match="cannot be read"):
            _restore_values(stack, bad, "s")
        assert store.read_bytes() == old
    text = "".join(f"{key}='{value}'\n" for key, value in {**values, name: "from-the-snapshot"}.items())
    _restore_values(stack, (text + "INJECTED=1\n").encode(), "s")
    assert current_values(stack)[name] == "from-the-snapshot"
    assert b"INJECTED" not in store.read_bytes()
    backups = list((stack.root / ".launcher").rglob("values.env.*"))
    assert [path.read_bytes() for path in backups] == [old]


# --------------------------------------------------------------------------- rm and the lock (3, 5)


@pytest.fixture
def stack_root(tmp_path):
    root = tmp_path / "stack"
    shutil.copytree(FIXTURE, root)
    return root


def test_rm_takes_only_names_of_snapshots_that_load(stack_root, tmp_path, run_launcher):
    victim = tmp_path / "precious"
    victim.mkdir()
    (victim / "manifest.json").write_text("{}")
    refused = run_launcher("snapshot", "rm", str(victim), "--yes", cwd=stack_root)
    assert refused.returncode == 2, refused.stderr
    assert "is a path" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert victim.exists()
    damaged = stack_root / ".launcher" / "snapshots" / "damaged"
    damaged.mkdir(parents=True)
    (damaged / "manifest.json").write_text("not json")
    kept = run_launcher("snapshot", "rm", "damaged", "--yes", cwd=stack_root)
    assert kept.returncode == 12 and damaged.exists()


def test_rm_and_restore_wait_for_the_lock_before_looking_at_the_snapshot(stack_root, run_launcher):
    from wizard.core.support.lock import stack_lock

    with stack_lock(stack_root, "test"):
        for command in (("snapshot", "restore", "nope", "--yes"), ("snapshot", "rm", "nope", "--yes")):
            busy = run_launcher(*command, cwd=stack_root, env={"LAUNCHER_LOCK_WAIT": "0"})
            assert busy.returncode == 13, busy.stderr

