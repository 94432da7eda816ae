"""One writer at a time per stack folder: an fcntl lock on ``.launcher/lock``.

``init``, ``secrets rotate``, ``seed`` and ``up`` hold it while they read and
write the values store, the env files or the databases, so two of them never
interleave (a rotation lost under a concurrent ``init``, one run removing the
other's temp file). The lock is re-entrant within a process: ``up`` holds it
and may call code that takes it again. The kernel releases it when a process
dies, so a killed run never leaves the stack locked. A lock file is written only when it is the
launcher's own (not a link, one name, the user's): a link in its place would have its target emptied.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import stat
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

from wizard.core.support.errors import ConfigError, StackBusy
from wizard.core.support.files import STATE_DIR

LOCK_NAME = "lock"
DEFAULT_WAIT_SECONDS = 60.0
_POLL_SECONDS = 0.05
_HOLDER_MAX_BYTES = 4096  # a holder record is ~80 bytes; never read more than this

_guard = threading.Lock()
# How a waiting process tells its user who holds the lock: set by the front end in charge.
_wait_notice: Callable[["Holder | None"], None] | None = None
_held: dict[Path, list] = {}  # lock path -> [open file, depth]


@dataclass(frozen=True)
class Holder:
    """Who holds the lock, as it wrote itself into the lock file."""

    pid: int
    action: str
    since: str

    def describe(self) -> str:
        return f"`launcher {self.action}` (pid {self.pid}, since {self.since})"


def lock_path(root: Path) -> Path:
    return root / STATE_DIR / LOCK_NAME


def set_wait_notice(notice: Callable[[Holder | None], None] | None) -> None:
    """The function told, once per wait, who holds the lock (the CLI prints a line)."""
    global _wait_notice
    _wait_notice = notice


def wait_seconds() -> float:
    """How long a second writer waits: ``LAUNCHER_LOCK_WAIT`` seconds, 0 to fail at once."""
    import math

    from wizard.core.support.errors import UsageError

    given = os.environ.get("LAUNCHER_LOCK_WAIT")
    if given is None:
        return DEFAULT_WAIT_SECONDS
    try:
        seconds = float(given)
    except ValueError:
        seconds = math.nan
    # inf would wait forever, nan compares false to everything (a wait of 0): neither is meant.
    if not math.isfinite(seconds) or seconds < 0:
        raise UsageError(f"LAUNCHER_LOCK_WAIT={given[:40]!r} is not a number of seconds",
                         f"set it to a number such as 60 (0 fails at once), or unset it "
                         f"for the default {DEFAULT_WAIT_SECONDS:g}")
    return seconds


@contextmanager
def stack_lock(root: Path, action: str, *, wait: float | None = None) -> Iterator[None]:
    """Hold the stack's lock for the block; wait (bounded) while another process holds it.

    The wait notice (``set_wait_notice``) hears once who holds it; after
    ``wait`` seconds StackBusy names the holder.
    """
    with file_lock(lock_path(root), action, wait=wait, bound=root, shown=f"{STATE_DIR}/{LOCK_NAME}"):
        yield


@contextmanager
def file_lock(path: Path, action: str, *, wait: float | None = None, bound: Path | None = None,
              shown: str = "") -> Iterator[None]:
    """Hold the fcntl lock on ``path`` (made, 0600, in private folders up to ``bound``) for the block.

    The one locking scheme: the stack's lock and the machine-wide instance registry's both use it.
    """
    from wizard.core.support.files import make_private_dir

    shown = shown or str(path)
    with _guard:
        entry = _held.get(path)
        if entry is not None:
            entry[1] += 1
    if entry is not None:
        try:
            yield
        finally:
            _release(path)
        return
    try:
        make_private_dir(path.parent, bound)
    except OSError as error:
        raise ConfigError(f"cannot open the lock {shown}: {error.strerror}",
                          f"{path.parent} must be a folder the launcher may write") from None
    handle = _open_own(path, shown)
    try:
        _acquire(handle, path, wait_seconds() if wait is None else wait, shown)
        # Checked again once it is ours: the wait may have been long, and the holder record is written now.
        _refuse_foreign(handle.fileno(), path, shown)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps({"pid": os.getpid(), "action": action,
                             "since": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")}))
    handle.flush()
    with _guard:
        _held[path] = [handle, 1]
    try:
        yield
    finally:
        _release(path)


Operation = TypeVar("Operation", bound=Callable[..., Any])


def holding_lock(action: str) -> Callable[[Operation], Operation]:
    """Make an operation on a stack (its first argument, anything with ``.root``) hold the lock.

    The operations take it themselves, so no front end can forget it. A generator
    holds it from its first step until it finishes or is closed, so a Ctrl-C that
    closes it releases the lock; the lock is re-entrant, so an operation built on
    another (reset on `up`) keeps one hold.
    """
    import functools
    import inspect

    def wrap(operation: Operation) -> Operation:
        if inspect.isgeneratorfunction(operation):
            @functools.wraps(operation)
            def held_steps(stack, *args, **options):
                with stack_lock(stack.root, action):
                    return (yield from operation(stack, *args, **options))
            return held_steps  # type: ignore[return-value]

        @functools.wraps(operation)
        def held(stack, *args, **options):
            with stack_lock(stack.root, action):
                return operation(stack, *args, **options)
        return held  # type: ignore[return-value]

    return wrap


def _acquire(handle, path: Path, wait: float, shown: str) -> None:
    deadline = time.monotonic() + wait
    announced = False
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        if time.monotonic() >= deadline:
            holder = read_holder(path)
            raise StackBusy(f"another launcher is working on this stack: "
                            f"{holder.describe() if holder else 'a process'} holds {shown}",
                            "wait for it to finish and run the command again "
                            "(LAUNCHER_LOCK_WAIT sets how many seconds to wait)")
        if not announced and _wait_notice is not None:
            _wait_notice(read_holder(path))
            announced = True
        time.sleep(_POLL_SECONDS)


def _release(path: Path) -> None:
    with _guard:
        entry = _held[path]
        entry[1] -= 1
        if entry[1]:
            return
        del _held[path]
    handle = entry[0]
    # The holder's record goes first, while still locked, so nobody reads a stale name; but only
    # from the file this run opened and checked, if the lock's name still leads to it alone.
    if _foreign(handle.fileno(), path) is None:
        handle.truncate(0)
        handle.flush()
    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    handle.close()


def read_holder(path: Path) -> Holder | None:
    """The holder recorded in the lock file, or None when none can be read (or it is not a plain file)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        data = json.loads(os.read(descriptor, _HOLDER_MAX_BYTES).decode("utf-8") or "null")
        return Holder(int(data["pid"]), str(data["action"]), str(data["since"]))
    except (OSError, ValueError, TypeError, KeyError):
        return None
    finally:
        os.close(descriptor)


def _open_own(path: Path, shown: str):
    """The lock file, opened for writing only if it is the launcher's own (see ``_foreign``).

    O_NOFOLLOW: a link in the lock's place (made by mistake, copied with a checkout, or planted)
    would have its target emptied; O_NONBLOCK: a FIFO there must not hang the open before the check.
    """
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o600)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise ConfigError(f"the lock {_named(shown, path)} is a symbolic link; nothing was written to it",
                              "remove that link (the launcher makes its own lock file) and run the command again"
                              ) from None
        raise ConfigError(f"cannot open the lock {shown}: {error.strerror}",
                          f"{path.parent} must be a folder the launcher may write") from None
    try:
        _refuse_foreign(descriptor, path, shown)
    except BaseException:
        os.close(descriptor)
        raise
    # Kept open while held; 0600 like everything else under .launcher/.
    return os.fdopen(descriptor, "r+", encoding="utf-8")


def _refuse_foreign(descriptor: int, path: Path, shown: str) -> None:
    problem = _foreign(descriptor, path)
    if problem is not None:
        raise ConfigError(f"the lock {_named(shown, path)} is {problem}; nothing was written to it",
                          "remove it (the launcher makes its own lock file) and run the command again")


def _named(shown: str, path: Path) -> str:
    """The lock as the user knows it, and where it is when that is not the full path already."""
    return shown if shown == str(path) else f"{shown} ({path})"


def _foreign(descriptor: int, path: Path) -> str | None:
    """Why the open lock file is not one the launcher made and may write, or None when it is.

    The launcher's own is a regular file with one name, owned by the user, and still the one the
    lock's name leads to: a hard link would have another file emptied through it.
    """
    opened = os.fstat(descriptor)
    if not stat.S_ISREG(opened.st_mode):
        return "not a regular file"
    if opened.st_nlink != 1:
        return f"a file with {opened.st_nlink} hard links"
    if opened.st_uid != os.getuid():
        return f"owned by another user (uid {opened.st_uid})"
    try:
        named = os.lstat(path)
    except OSError:
        return "gone, or replaced"
    if (named.st_dev, named.st_ino) != (opened.st_dev, opened.st_ino):
        return "replaced by another file"
    return None
