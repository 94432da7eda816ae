"""An engine's archive of a folder in Docker's shape: every entry under the folder's own name.

Docker answers `GET /containers/ID/archive?path=/snapshot-volume` with `snapshot-volume/`,
`snapshot-volume/a.txt`, ... Podman 4.3 does so for a running container, but for a created
one (the volume helper is never started) it names the entries from the root: `/`, `/a.txt`.
Such an archive is rewritten on the fly, entry by entry, under the folder's name; one in
Docker's shape passes through untouched, byte for byte.
"""

from __future__ import annotations

import io
import itertools
import tarfile
from typing import Iterable, Iterator

HEADER = 512


class _ChunkReader(io.RawIOBase):
    """A readable file over an iterator of byte chunks (tarfile reads the stream through it)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._left = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._left:
            self._left = next(self._chunks, b"")
            if not self._left:
                return 0
        size = min(len(buffer), len(self._left))
        buffer[:size] = self._left[:size]
        self._left = self._left[size:]
        return size


class _ChunkSink:
    """What tarfile writes, collected until the next ``take``."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data


def under_folder(chunks: Iterable[bytes], folder: str) -> Iterator[bytes]:
    """The archive with every entry under ``folder`` (the archived folder's name, as Docker writes it)."""
    source = iter(chunks)
    try:
        yield from _under_folder(source, folder)
    finally:
        # Closed early (the snapshot could not be written): the engine's answer is closed now, before
        # the caller removes the helper, which the engine would hold back while its archive is read.
        close = getattr(source, "close", None)
        if close is not None:
            close()


def _under_folder(source: Iterator[bytes], folder: str) -> Iterator[bytes]:
    head = b""
    for chunk in source:
        head += chunk
        if len(head) >= HEADER:
            break
    if not head.startswith(b"/"):  # the first entry's name: Docker's shape (or no archive): as it is
        if head:
            yield head
        yield from source
        return
    reader = tarfile.open(fileobj=io.BufferedReader(_ChunkReader(itertools.chain([head], source))), mode="r|")
    sink = _ChunkSink()
    writer = tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT)
    for member in reader:
        member.name = f"{folder}{member.name}" if member.name else folder
        if member.islnk() and member.linkname.startswith("/"):
            member.linkname = f"{folder}{member.linkname}"  # a hard link names another entry; a symlink's target stays
        writer.addfile(member, reader.extractfile(member) if member.isreg() else None)
        if data := sink.take():
            yield data
    writer.close()
    yield sink.take()
