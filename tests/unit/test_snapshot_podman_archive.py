"""Podman 4.3's archive of a created helper container (recorded: tests/fixtures/podman43) in Docker's shape.

Podman names the entries of `GET /containers/ID/archive?path=/snapshot-volume` from the root
(`/`, `/appendonlydir/...`) when the container was never started; the restore's check then
refuses the snapshot ("member '' is not under the archive's folder"). Rewritten, every entry
sits under `snapshot-volume/` with its bytes, and the check accepts it; Docker's archives
pass through untouched.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from wizard.core.snapshots.archivecheck import check_archive
from wizard.core.snapshots.archivenames import under_folder
from wizard.core.support.errors import SnapshotInvalid

RECORDED = (Path(__file__).resolve().parent.parent / "fixtures" / "podman43" / "helper-archive-redisdata.tar").read_bytes()


def pieces(data: bytes, size: int = 100) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


def members(data: bytes) -> dict[str, bytes | None]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: (tar.extractfile(m).read() if m.isreg() else None) for m in tar.getmembers()}


def test_the_recorded_podman_archive_is_refused_as_it_comes():
    with pytest.raises(SnapshotInvalid, match="member '' is not under"):
        check_archive(pieces(RECORDED), "snapshot-volume", "part")


def test_podman_names_are_put_under_the_folder_with_every_byte_kept():
    rewritten = b"".join(under_folder(pieces(RECORDED), "snapshot-volume"))
    before, after = members(RECORDED), members(rewritten)
    assert sorted(after) == sorted(f"snapshot-volume{name}" if name else "snapshot-volume" for name in before)
    assert after["snapshot-volume/appendonlydir/appendonly.aof.manifest"] == before["/appendonlydir/appendonly.aof.manifest"]
    assert check_archive(pieces(rewritten, 777), "snapshot-volume", "part") == len(before)


def docker_shaped() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("snapshot-volume/a.txt")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"hello"))
    return buffer.getvalue()


def test_a_docker_shaped_archive_passes_through_byte_for_byte():
    data = docker_shaped()
    assert b"".join(under_folder(pieces(data, 300), "snapshot-volume")) == data
    assert list(under_folder([], "snapshot-volume")) == []



@pytest.mark.parametrize("data", [RECORDED, docker_shaped()], ids=["podman", "docker"])
def test_giving_up_early_closes_the_engines_answer_at_once(data):
    """The snapshot file cannot be written (disk full): the answer must be closed before the helper is
    removed, or the engine holds the removal back until its read times out."""
    closed = []

    def answer():
        try:
            yield data[:600]
            yield data[600:]
        finally:
            closed.append(True)

    stream = answer()  # held by the caller, as volumes.archive holds the SDK's stream while it removes the helper
    rewritten = under_folder(stream, "snapshot-volume")
    next(rewritten)
    rewritten.close()
    assert closed == [True]
