"""A volume archive read through before any volume is touched: every member stays inside.

The engine unpacks an archive into a volume under its own rules; a member named
``../x`` or ``/etc/x``, a symbolic or hard link leading out of the volume, or a device
node could reach past it, and a refusal by the engine would come after the volume was
emptied. So the whole archive is read first, as a stream: every member must sit under
the archive's top folder (the helper's mount point), every link must resolve inside it,
and the archive must end with tar's end blocks (a part cut at a member boundary would
otherwise unpack as a smaller, silently incomplete volume).

A link is judged as the unpacked volume will follow it, not by its text: ``a/b -> ..``
then ``c -> a/b/..`` reads as ``c -> a`` but leads one folder above the volume. So every
symbolic link's target is resolved through the links the archive itself makes (in any
order, once the whole archive was read), and never leaves the volume on the way; and a
member (or a hard link's target) whose path passes through a symbolic link made earlier
in the archive is refused outright: what it would write is wherever that link points.
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
    links = _Links(top)
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                problem = member_problem(member, top) or links.add(member)
                if problem:
                    raise _refused(shown, member.name, problem)
                members += 1
            end = tar.offset
    except (tarfile.TarError, EOFError) as exc:
        raise SnapshotInvalid(f"{shown} is not a whole tar archive ({exc})",
                              "nothing was changed; use another snapshot") from None
    for name, problem in links.leaving():
        raise _refused(shown, name, problem)
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
    if name.rstrip("/") == top and not member.isdir():
        return "would replace the volume's own folder"
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


def _refused(shown: str, name: str, problem: str) -> SnapshotInvalid:
    return SnapshotInvalid(f"{shown}: member {name!r} {problem}", "nothing was changed; the snapshot cannot be trusted")


class _Links:
    """The symbolic links an archive makes, to judge paths as the unpacked volume resolves them."""

    HOPS = 40  # as the kernel's own limit: a longer chain is a loop, refused rather than followed

    def __init__(self, top: str) -> None:
        self.top = top
        self.links: dict[str, str] = {}  # member path (normalised) -> link text

    def add(self, member: tarfile.TarInfo) -> str:
        """Why the member passes through a link made earlier ("" when it does not); remembers its own link."""
        name = posixpath.normpath(member.name)
        through = self._link_on(posixpath.dirname(name))
        if through:
            return f"passes through the symbolic link {through!r} made earlier in the archive"
        if member.islnk():
            through = self._link_on(posixpath.dirname(posixpath.normpath(member.linkname)))
            if through:
                return f"is a hard link through the symbolic link {through!r} ({member.linkname})"
        if member.issym():
            self.links[name] = member.linkname
        elif member.islnk() and posixpath.normpath(member.linkname) in self.links:
            # A hard link to a symbolic link is that link again, read from another folder.
            self.links[name] = self.links[posixpath.normpath(member.linkname)]
        else:
            self.links.pop(name, None)  # a later member replaces the link
        return ""

    def leaving(self) -> list[tuple[str, str]]:
        """(member, why) for every symbolic link that, followed through the others, leaves the volume."""
        return [(name, f"is a symbolic link leading out of the volume through the archive's own links ({text})")
                for name, text in self.links.items()
                if not self._stays_inside(posixpath.dirname(name) + "/" + text)]

    def _link_on(self, folder: str) -> str:
        """The first link among the folder and its parents (walked from the top), "" when none."""
        parts = folder.split("/")
        for end in range(1, len(parts) + 1):
            prefix = "/".join(parts[:end])
            if prefix in self.links:
                return prefix
        return ""

    def _stays_inside(self, path: str) -> bool:
        """Whether following ``path`` component by component, links included, never leaves the top folder."""
        resolved: list[str] = []
        pending = list(reversed(path.split("/")))
        hops = 0
        while pending:
            part = pending.pop()
            if part in ("", "."):
                continue
            if part == "..":
                if len(resolved) <= 1:  # above the volume's own folder
                    return False
                resolved.pop()
                continue
            here = "/".join([*resolved, part])
            if here in self.links:
                hops += 1
                text = self.links[here]
                if hops > self.HOPS or text.startswith("/"):
                    return False
                pending.extend(reversed(text.split("/")))
                continue
            resolved.append(part)
        return bool(resolved) and resolved[0] == self.top


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
