"""A volume archive read through before any volume is touched: every member stays inside.

The engine unpacks an archive into a volume under its own rules; a member named
``../x`` or ``/etc/x``, a symbolic or hard link leading out of the volume, or a device
node could reach past it, and a refusal by the engine would come after the volume was
emptied. So the whole archive is read first, as a stream: every member must sit under
the archive's top folder (the helper's mount point), every link must resolve inside it,
and the archive must end with tar's end blocks (a part cut at a member boundary would
otherwise unpack as a smaller, silently incomplete volume).
"""

from __future__ import annotations

import posixpath
import tarfile
from typing import Iterable, Iterator

from wizard.core.support.errors import SnapshotInvalid

_END_BLOCKS = 2 * tarfile.BLOCKSIZE
_TAIL_KEPT = 1 << 16


def check_archive(chunks: Iterable[bytes], top: str, shown: str) -> int:
    """Read the whole archive; SnapshotInvalid naming the first member that would leave ``top``.

    Returns the number of members.
    """
    stream = _Reader(iter(chunks))
    members = 0
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                problem = member_problem(member, top)
                if problem:
                    raise SnapshotInvalid(f"{shown}: member {member.name!r} {problem}",
                                          "nothing was changed; the snapshot cannot be trusted")
                members += 1
            end = tar.offset
    except (tarfile.TarError, EOFError) as exc:
        raise SnapshotInvalid(f"{shown} is not a whole tar archive ({exc})",
                              "nothing was changed; use another snapshot") from None
    stream.drain()
    if not stream.zero_after(end, _END_BLOCKS):
        raise SnapshotInvalid(f"{shown} ends without tar's end blocks (cut short)",
                              "nothing was changed; use another snapshot")
    return members


def member_problem(member: tarfile.TarInfo, top: str) -> str:
    """Why a member could reach outside the volume ("" when it cannot)."""
    name = member.name
    if name.startswith("/"):
        return "has an absolute path"
    if ".." in name.split("/"):
        return "climbs out with '..'"
    if not _inside(posixpath.normpath(name), top):
        return f"is not under the archive's folder {top}/"
    if member.isdev():
        return "is a device node"
    if member.issym():
        if member.linkname.startswith("/"):
            return f"is a symbolic link to an absolute path ({member.linkname})"
        if not _inside(posixpath.normpath(posixpath.join(posixpath.dirname(name), member.linkname)), top):
            return f"is a symbolic link leading out of the volume ({member.linkname})"
    if member.islnk() and (member.linkname.startswith("/") or ".." in member.linkname.split("/")
                           or not _inside(posixpath.normpath(member.linkname), top)):
        return f"is a hard link to a file outside the volume ({member.linkname})"
    return ""


def _inside(path: str, top: str) -> bool:
    return path == top or path.startswith(top + "/")


class _Reader:
    """The chunks as a file tarfile can stream from, remembering how many bytes came and the last ones."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._current = b""
        self._pos = 0
        self.total = 0
        self._tail = b""  # the last bytes read: tarfile reads ahead less than this past its end
        self._read_by_tar = 0
        self._rest_zero = True

    def read(self, size: int = -1) -> bytes:
        parts, want = [], size
        while want != 0:
            if self._pos >= len(self._current):
                data = next(self._chunks, None)
                if data is None:
                    break
                self._current, self._pos = data, 0
            left = len(self._current) - self._pos
            take = left if want < 0 else min(want, left)
            parts.append(self._current[self._pos:self._pos + take])
            self._pos += take
            want = want - take if want > 0 else want
        out = b"".join(parts)
        self.total += len(out)
        self._tail = (self._tail + out)[-_TAIL_KEPT:]
        return out

    def drain(self) -> None:
        """Read what tarfile left unread, noting whether it is all zero padding."""
        self._read_by_tar, tail = self.total, self._tail
        while data := self.read(1 << 20):
            self._rest_zero = self._rest_zero and not data.strip(b"\0")
        self._tail = tail

    def zero_after(self, offset: int, least: int) -> bool:
        """At least ``least`` bytes followed offset, and all of them are zero."""
        seen = self._read_by_tar - offset  # read by tarfile past the end it reported
        if self.total - offset < least or not self._rest_zero or seen > len(self._tail):
            return False
        return seen <= 0 or not self._tail[-seen:].strip(b"\0")
