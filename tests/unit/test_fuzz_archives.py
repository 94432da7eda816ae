"""A bounded, seeded fuzzer over what a snapshot restore and `images load` read from disk.

Each round mutates one valid input (a snapshot's manifest, its volume archive, an image
archive): bytes flipped, cut or inserted, JSON fields replaced by hostile values (and the
manifest's hash recomputed, as a forger would), tar members renamed to climb out, turned
into links, given huge sizes. Whatever the mutation, reading it ends in the launcher's own
error (SnapshotInvalid, BundleInvalid, UsageError: one line, a meaningful exit code) or in
success, never another exception, and a volume archive that passes the check has no member
outside its folder.

LAUNCHER_FUZZ_ROUNDS (default 1,000 per input kind) and LAUNCHER_FUZZ_SEED as in test_fuzz_init.
"""

from __future__ import annotations

import io
import json
import os
import random
import tarfile
from types import SimpleNamespace

import pytest

from tests.unit.test_images import ScriptedStore, docker_save_bytes, need
from wizard.core.images import bundle as imagebundle
from wizard.core.snapshots import manifest as manifests
from wizard.core.snapshots.archivecheck import check_archive, member_problem
from wizard.core.support.errors import LauncherError
from wizard.core.support.events import consume

ROUNDS = int(os.environ.get("LAUNCHER_FUZZ_ROUNDS", "1000"))
SEED = int(os.environ.get("LAUNCHER_FUZZ_SEED", "20261204"))
TOP = "snapshot-volume"
HOSTILE = [None, "", "../../x", "/etc/passwd", -1, 2 ** 63, True, [], {}, "a" * 5000, "\u2028", 0.5,
           "manifest.json", ".hidden", "x/../../y", {"n": 1}]


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(4)
        at = rng.randrange(max(len(data), 1))
        if choice == 0 and data:
            data[at] ^= 1 << rng.randrange(8)
        elif choice == 1:
            del data[at:]
        elif choice == 2:
            data[at:at] = rng.randbytes(rng.randint(1, 600))
        else:
            data[at:at + 512] = bytes(512)
    return bytes(data)


def volume_tar(rng: random.Random) -> bytes:
    """A volume archive; sometimes with one member made hostile."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        top = tarfile.TarInfo(TOP)
        top.type = tarfile.DIRTYPE
        tar.addfile(top)
        for index in range(rng.randint(1, 4)):
            info = tarfile.TarInfo(f"{TOP}/f{index}")
            data = rng.randbytes(rng.randint(0, 3000))
            info.size = len(data)
            if rng.random() < 0.4:
                info.name = rng.choice([f"{TOP}/../x{index}", f"/abs{index}", f"other/{index}", f"{TOP}/a/../../b"])
            if rng.random() < 0.3:
                info.type = rng.choice([tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE])
                info.linkname = rng.choice(["../../etc", "/etc/passwd", f"{TOP}/f0", "f0", "../f0"])
                info.size, data = 0, b""
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_volume_archives_are_either_wholly_inside_or_refused():
    rng = random.Random(SEED)
    for round_ in range(ROUNDS):
        data = volume_tar(rng)
        if rng.random() < 0.5:
            data = mutate_bytes(data, rng)
        try:
            check_archive([data[i:i + 1000] for i in range(0, len(data), 1000)], TOP, "fuzzed")
        except LauncherError:
            continue
        except Exception as exc:  # noqa: BLE001 - the point of the fuzzer
            pytest.fail(f"seed {SEED} round {round_}: {type(exc).__name__}: {exc}")
        with tarfile.open(fileobj=io.BytesIO(data), mode="r|") as tar:
            bad = [member.name for member in tar if member_problem(member, TOP)]
        assert not bad, f"seed {SEED} round {round_}: passed with {bad}"


def fake_stack(root):
    (root / "stack.toml").write_text('[stack]\nname = "demo"\n')
    return SimpleNamespace(name="demo", root=root, manifest=root / "stack.toml")


def test_snapshot_manifests_load_and_verify_or_fail_as_one_line(tmp_path):
    from wizard.core.snapshots.restore import open_verified

    rng = random.Random(SEED + 1)
    stack = fake_stack(tmp_path)
    writer = manifests.PartWriter(manifests.snapshots_dir(stack) / "base")
    for name, data in (("volume-x.tar", volume_tar(rng)), ("values.env", b"A=1\n")):
        handle = writer.open(name)
        handle.write(data)
        handle.close(kind="volume", volume="x", key="x", services=["s"])
    base = writer.commit({"format": manifests.FORMAT, "stack": stack.name, "created": "2026-01-01T00:00:00+00:00",
                          "stack_manifest_sha256": manifests.file_sha256(stack), "encryption": None})
    text = (base / manifests.MANIFEST).read_text()
    for round_ in range(ROUNDS):
        manifest = json.loads(text)
        target = manifest if rng.random() < 0.4 else rng.choice(manifest["parts"])
        key = rng.choice(sorted(target) + ["encryption", "anonymous", "mount", "extra"])
        target[key] = rng.choice(HOSTILE)
        if rng.random() < 0.8:
            manifest["manifest_sha256"] = manifests.manifest_hash(manifest)
        raw = json.dumps(manifest).encode()
        if rng.random() < 0.2:
            raw = mutate_bytes(raw, rng)
        (base / manifests.MANIFEST).write_bytes(raw)
        try:
            open_verified(stack, "base", force=rng.random() < 0.5, allow_unencrypted=True,
                          passphrase_for=lambda snapshot: "p")
        except LauncherError as error:
            assert "\n" not in error.one_line(), f"seed {SEED} round {round_}"
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"seed {SEED} round {round_} ({key}={target.get(key)!r}): {type(exc).__name__}: {exc}")


def test_image_archives_load_or_fail_as_one_line(tmp_path):
    rng = random.Random(SEED + 2)
    saved = docker_save_bytes()
    one = need("a/one:1", image_id="sha256:11")
    good = tmp_path / "good.bundle"
    consume(imagebundle.save(ScriptedStore(saved=saved, local=[one.local]), [one], good, stack="demo"))
    base = good.read_bytes()
    for round_ in range(ROUNDS):
        data = mutate_bytes(base, rng)
        if rng.random() < 0.3:  # a member turned into a link or given another name
            buffer = io.BytesIO(base)
            members = []
            with tarfile.open(fileobj=buffer) as tar:
                for member in tar.getmembers():
                    members.append((member, tar.extractfile(member).read()))
            out = io.BytesIO()
            with tarfile.open(fileobj=out, mode="w") as tar:
                for member, content in members:
                    if rng.random() < 0.5:
                        member.type = rng.choice([tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.DIRTYPE])
                        member.linkname = rng.choice(["images.tar", "nope", "../x"])
                        content = b""
                        member.size = 0
                    tar.addfile(member, io.BytesIO(content))
            data = out.getvalue()
        path = tmp_path / f"r{round_}.bundle"
        path.write_bytes(data)
        try:
            consume(imagebundle.load(ScriptedStore(saved=saved, local=[one.local]), path))
        except LauncherError as error:
            assert "\n" not in error.one_line(), f"seed {SEED} round {round_}"
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"seed {SEED} round {round_}: {type(exc).__name__}: {exc}")
        path.unlink()


def chain_tar(rng: random.Random) -> bytes:
    """Folders, files and links whose targets name each other (``a/b -> ..``, ``c -> a/b/..``, ``c/x``)."""
    names = [f"{TOP}/{name}" for name in ("a", "b", "c", "a/b", "a/c", "b/a")]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        top = tarfile.TarInfo(TOP)
        top.type = tarfile.DIRTYPE
        tar.addfile(top)
        for _ in range(rng.randint(1, 8)):
            info = tarfile.TarInfo(rng.choice(names + [f"{name}/x" for name in names]))
            kind = rng.random()
            if kind < 0.45:
                info.type = tarfile.SYMTYPE
                info.linkname = "/".join(rng.choice(["..", ".", "a", "b", "c", "x"])
                                         for _ in range(rng.randint(1, 3)))
            elif kind < 0.55:
                info.type, info.linkname = tarfile.LNKTYPE, rng.choice(names)
            elif kind < 0.75:
                info.type = tarfile.DIRTYPE
            tar.addfile(info, io.BytesIO(b""))
    return buffer.getvalue()


def unpack_as_the_engine_does(data: bytes, root) -> None:
    """Members in order, a path already there removed first (unless a folder meets a folder), parents made
    through whatever links stand there, hard links made to the path as it resolves: Docker's unpacking."""
    import shutil

    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar:
            path = os.path.join(root, member.name)
            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                if os.path.lexists(path) and not (member.isdir() and os.path.isdir(path)
                                                  and not os.path.islink(path)):
                    shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.unlink(path)
                if member.isdir():
                    os.makedirs(path, exist_ok=True)
                elif member.issym():
                    os.symlink(member.linkname, path)
                elif member.islnk():
                    os.link(os.path.join(root, member.linkname), path, follow_symlinks=False)
                else:
                    open(path, "wb").close()
            except OSError:
                pass  # a parent that is a file, a link to nothing: nothing written there


def test_link_chains_are_judged_as_the_volume_resolves_them(tmp_path):
    import shutil

    chain = io.BytesIO()
    with tarfile.open(fileobj=chain, mode="w") as tar:
        for name, kind, target in ((TOP, tarfile.DIRTYPE, ""), (f"{TOP}/a", tarfile.DIRTYPE, ""),
                                   (f"{TOP}/a/b", tarfile.SYMTYPE, ".."), (f"{TOP}/c", tarfile.SYMTYPE, "a/b/.."),
                                   (f"{TOP}/c/file", tarfile.REGTYPE, "")):
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, target
            tar.addfile(info, io.BytesIO(b""))
    with pytest.raises(LauncherError, match="c/file.*passes through the symbolic link"):
        check_archive([chain.getvalue()], TOP, "chain")
    # Without the member under it, the link itself is refused: it leads one folder above the volume.
    cut = chain.getvalue()[:4 * tarfile.BLOCKSIZE] + bytes(2 * tarfile.BLOCKSIZE)
    with pytest.raises(LauncherError, match="'snapshot-volume/c' is a symbolic link leading out"):
        check_archive([cut], TOP, "chain")

    # Fuzzed chains: every archive the check accepts, unpacked as the engine would, writes nothing
    # outside its folder and leaves no link that resolves outside it.
    rng = random.Random(SEED + 3)
    sandbox = tmp_path.joinpath(*[f"d{depth}" for depth in range(30)])
    accepted = refused = 0
    for round_ in range(ROUNDS):
        data = chain_tar(rng)
        try:
            check_archive([data], TOP, "fuzzed")
        except LauncherError:
            refused += 1
            continue
        accepted += 1
        root = sandbox / f"r{round_}"
        root.mkdir(parents=True)
        unpack_as_the_engine_does(data, root)
        volume = (root / TOP).resolve()
        written = [path for path in tmp_path.rglob("*") if not path.is_relative_to(root / TOP)
                   and not path.is_relative_to(sandbox) and path not in sandbox.parents]
        written += [path for path in sandbox.iterdir() if not path.name.startswith("r")]
        written += [path for path in root.iterdir() if path.name != TOP]
        assert not written, f"seed {SEED} round {round_}: wrote {written}"
        for link in (root / TOP).rglob("*"):
            if link.is_symlink():
                target = os.path.realpath(link)
                assert target == str(volume) or target.startswith(str(volume) + "/"), \
                    f"seed {SEED} round {round_}: {link} -> {os.readlink(link)} resolves to {target}"
        shutil.rmtree(root)
    assert accepted > ROUNDS // 10 and refused > ROUNDS // 10, (accepted, refused)
