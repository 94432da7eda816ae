"""Snapshot parts and manifests without an engine: encryption, checksums, names, listing, retention."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

from wizard.core.support.errors import SnapshotInvalid, UsageError
from wizard.core.snapshots import crypto
from wizard.core.snapshots import manifest as manifests


def fake_stack(tmp_path: Path, name: str = "demo"):
    (tmp_path / "stack.toml").write_text(f'[stack]\nname = "{name}"\n')
    return SimpleNamespace(name=name, root=tmp_path, manifest=tmp_path / "stack.toml")


def write_snapshot(stack, name: str, parts: dict[str, bytes], created: str = "2026-01-01T00:00:00+00:00"):
    writer = manifests.PartWriter(manifests.snapshots_dir(stack) / name)
    for part, data in parts.items():
        handle = writer.open(part)
        handle.write(data)
        handle.close(kind="volume")
    return writer.commit({"format": manifests.FORMAT, "stack": stack.name, "created": created,
                          "stack_manifest_sha256": manifests.file_sha256(stack), "encryption": None})


def test_encrypted_stream_round_trips_across_chunks_and_hides_the_data():
    key, record = crypto.new_encryption("pass phrase")
    data = os.urandom(crypto.CHUNK * 2 + 123) + b"SECRET-MARKER"
    sealed = b"".join(crypto.encrypt_stream(key, "p.tar", [data[:1000], data[1000:]]))
    assert b"SECRET-MARKER" not in sealed
    assert b"".join(crypto.decrypt_stream(crypto.unlock("pass phrase", record), "p.tar", [sealed])) == data
    assert b"".join(crypto.decrypt_stream(key, "e", crypto.encrypt_stream(key, "e", []))) == b""


def test_wrong_passphrase_tampering_truncation_and_part_swaps_are_refused():
    key, record = crypto.new_encryption("right")
    with pytest.raises(SnapshotInvalid, match="wrong passphrase"):
        crypto.unlock("wrong", record)
    sealed = b"".join(crypto.encrypt_stream(key, "a", [os.urandom(crypto.CHUNK + 10)]))
    flipped = bytearray(sealed)
    flipped[100] ^= 1
    cut_at_chunk = sealed[:len(crypto.MAGIC) + crypto.PREFIX + 4 + crypto.CHUNK + crypto.TAG]
    for bad, part in ((bytes(flipped), "a"), (sealed[:-5], "a"), (cut_at_chunk, "a"), (sealed, "b")):
        with pytest.raises(SnapshotInvalid):
            b"".join(crypto.decrypt_stream(key, part, [bad]))


def test_a_snapshot_is_private_verified_and_refused_when_damaged(tmp_path):
    stack = fake_stack(tmp_path)
    folder = write_snapshot(stack, "one", {"a.tar": b"x" * 5000, "values.env": b"A=1\n"})
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o600}
    snapshot = manifests.load(folder)
    manifests.verify(snapshot, stack)
    seen = []
    manifests.verify(snapshot, stack, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (5004, 5004)

    (folder / "a.tar").write_bytes(b"x" * 4999 + b"y")
    with pytest.raises(SnapshotInvalid, match="sha256"):
        manifests.verify(manifests.load(folder), stack)
    (folder / "a.tar").write_bytes(b"x" * 10)
    with pytest.raises(SnapshotInvalid, match="truncated"):
        manifests.verify(manifests.load(folder), stack)
    (folder / "a.tar").unlink()
    with pytest.raises(SnapshotInvalid, match="missing"):
        manifests.verify(manifests.load(folder), stack)


def test_an_edited_manifest_or_another_stack_is_refused(tmp_path):
    stack = fake_stack(tmp_path)
    folder = write_snapshot(stack, "one", {"a.tar": b"data"})
    data = json.loads((folder / "manifest.json").read_text())
    data["parts"][0]["size"] = 3
    (folder / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(SnapshotInvalid, match="its own hash"):
        manifests.load(folder)

    folder = write_snapshot(stack, "two", {"a.tar": b"data"})
    other = SimpleNamespace(name="other", root=tmp_path, manifest=stack.manifest)
    with pytest.raises(SnapshotInvalid, match="of stack 'demo'"):
        manifests.verify(manifests.load(folder), other)
    manifests.verify(manifests.load(folder), other, force=True)
    (tmp_path / "stack.toml").write_text('[stack]\nname = "demo"\n# changed\n')
    with pytest.raises(SnapshotInvalid, match="different stack.toml"):
        manifests.verify(manifests.load(folder), stack)


def test_names_existing_snapshots_failed_saves_listing_and_retention(tmp_path):
    stack = fake_stack(tmp_path)
    for bad in ("../x", ".hidden", "a b", ""):
        with pytest.raises(UsageError):
            manifests.check_name(bad)
    write_snapshot(stack, "old", {"a": b"1"}, created="2026-01-01T00:00:00+00:00")
    write_snapshot(stack, "new", {"a": b"1"}, created="2026-02-01T00:00:00+00:00")
    with pytest.raises(UsageError, match="already exists"):
        manifests.PartWriter(manifests.snapshots_dir(stack) / "new")
    failed = manifests.PartWriter(manifests.snapshots_dir(stack) / "failed")
    failed.open("a").write(b"half")
    failed.abandon()
    (manifests.snapshots_dir(stack) / "junk").mkdir()
    (manifests.snapshots_dir(stack) / "junk" / "manifest.json").write_text("{")
    listed = manifests.list_snapshots(stack)
    assert [(folder.name, bool(problem)) for folder, _, problem in listed] == [("junk", True), ("old", False),
                                                                                ("new", False)]
    assert manifests.last_snapshot(stack) == {"name": "new", "created": "2026-02-01T00:00:00+00:00"}
    assert manifests.prune(stack, 1) == ["old"]
    assert sorted(p.name for p in manifests.snapshots_dir(stack).iterdir()) == ["junk", "new"]
    with pytest.raises(UsageError, match="no snapshot"):
        manifests.locate(stack, "old")


@pytest.mark.parametrize("dsn", ["postgresql://post%40gres:p%3Aw@127.0.0.1:5433/my%20db",
                                 "postgresql://postgres@localhost/postgres",
                                 "host=127.0.0.1 port=5433 user=postgres password=x dbname=app"])
def test_a_dsn_is_read_as_psycopg_reads_it(dsn):
    from psycopg.conninfo import conninfo_to_dict

    from wizard.core.snapshots.postgres import _conninfo

    ours = {key: str(value) for key, value in _conninfo(dsn).items() if value not in ("", None)}
    theirs = {key: str(value) for key, value in conninfo_to_dict(dsn).items()}
    assert {key: value for key, value in ours.items() if key != "port" or "port" in theirs} == theirs


def _encrypted_snapshot(stack, name: str, passphrase: str, plain: bytes):
    key, record = crypto.new_encryption(passphrase)
    writer = manifests.PartWriter(manifests.snapshots_dir(stack) / name)
    handle = writer.open("a.tar")
    for data in crypto.encrypt_stream(key, "a.tar", [plain]):
        handle.write(data)
    handle.close(kind="volume", encrypted=True)
    folder = writer.commit({"format": manifests.FORMAT, "stack": stack.name, "created": "2026-01-01T00:00:00+00:00",
                            "stack_manifest_sha256": manifests.file_sha256(stack), "encryption": record}, key=key)
    manifests.mark_encrypting(stack)
    return folder


def _forge(folder: Path, change) -> None:
    path = folder / manifests.MANIFEST
    manifest = json.loads(path.read_text())
    change(manifest, folder)
    manifest["manifest_sha256"] = manifests.manifest_hash(manifest)
    path.write_text(json.dumps(manifest))


def _strip(manifest, folder: Path) -> None:
    """Remove the encryption, put plaintext in, make every hash agree: the attack of the issue."""
    import hashlib

    manifest["encryption"] = None
    manifest.pop("manifest_mac", None)
    data = b"plaintext planted by someone else"
    (folder / "a.tar").write_bytes(data)
    manifest["parts"][0].update(size=len(data), sha256=hashlib.sha256(data).hexdigest(), encrypted=False)


def test_an_encrypted_manifest_is_authenticated_and_cannot_be_stripped_or_edited(tmp_path, monkeypatch):
    from wizard.core.snapshots.restore import open_verified

    stack = fake_stack(tmp_path)
    ask = {"passphrase_for": lambda snapshot: "the phrase"}
    _encrypted_snapshot(stack, "sealed", "the phrase", b"volume bytes")
    snapshot, key = open_verified(stack, "sealed", **ask)
    assert key and snapshot.manifest["manifest_mac"]

    stripped = _encrypted_snapshot(stack, "stripped", "the phrase", b"volume bytes")
    _forge(stripped, _strip)
    with pytest.raises(SnapshotInvalid, match="not encrypted, and this stack encrypts"):
        open_verified(stack, "stripped", **ask)
    assert open_verified(stack, "stripped", allow_unencrypted=True, **ask)[1] is None

    for change in (lambda m, f: m.update(created="2030-01-01T00:00:00+00:00"),
                   lambda m, f: m["encryption"].update(n=2 ** 14),
                   lambda m, f: m.pop("manifest_mac")):
        edited = _encrypted_snapshot(stack, f"edited{id(change)}", "the phrase", b"volume bytes")
        _forge(edited, change)
        with pytest.raises(SnapshotInvalid):
            open_verified(stack, edited.name, **ask)
