"""The launcher's lock files (`.launcher/lock`, the registry's `instances.json.lock`) are opened without
following a link and written only when they are the launcher's own: a regular file with one link, owned
by the user. Anything else is refused in one line, exit 3, and the file it leads to stays byte for byte."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.unit.test_safety import launcher, make_stack
from wizard.core.support import registry
from wizard.core.support.errors import ConfigError
from wizard.core.support.lock import file_lock, lock_path, stack_lock
from wizard.exitcodes import ExitCode

PRECIOUS = b"# the user's own file\nexport KEEP=1\n"


@pytest.fixture
def precious(tmp_path) -> Path:
    target = tmp_path / "elsewhere" / "precious.txt"
    target.parent.mkdir()
    target.write_bytes(PRECIOUS)
    return target


def plant(lock: Path, target: Path, how: str) -> None:
    lock.parent.mkdir(parents=True, exist_ok=True)
    if how == "symlink":
        lock.symlink_to(target)
    else:
        os.link(target, lock)


@pytest.mark.parametrize("how", ["symlink", "hardlink"])
def test_a_stack_lock_that_is_a_link_is_refused_and_its_target_kept(tmp_path, precious, how):
    stack = tmp_path / "stack"
    plant(lock_path(stack), precious, how)
    with pytest.raises(ConfigError) as caught:
        with stack_lock(stack, "up", wait=0):
            pass
    assert caught.value.exit_code == ExitCode.CONFIG
    assert ".launcher/lock" in caught.value.message and caught.value.hint.startswith("remove ")
    assert precious.read_bytes() == PRECIOUS


@pytest.mark.parametrize("how", ["symlink", "hardlink"])
def test_the_registry_lock_that_is_a_link_is_refused_and_its_target_kept(precious, how):
    lock = registry.registry_path().with_name(registry.REGISTRY_NAME + ".lock")
    plant(lock, precious, how)
    with pytest.raises(ConfigError):
        with registry.changing("test"):
            pass
    assert precious.read_bytes() == PRECIOUS


def test_a_dangling_symlink_lock_creates_nothing_where_it_points(tmp_path):
    lock, target = tmp_path / "lock", tmp_path / "made-through-the-link"
    lock.symlink_to(target)
    with pytest.raises(ConfigError):
        with file_lock(lock, "up", wait=0):
            pass
    assert not target.exists()


def test_a_fifo_in_the_locks_place_is_refused_without_hanging(tmp_path):
    lock = tmp_path / "lock"
    os.mkfifo(lock)
    with pytest.raises(ConfigError) as caught:
        with file_lock(lock, "up", wait=0):
            pass
    assert "not a regular file" in caught.value.message


def test_a_lock_made_into_a_hard_link_while_held_is_not_emptied_on_release(tmp_path):
    lock, other = tmp_path / "lock", tmp_path / "other"
    with file_lock(lock, "up", wait=0):
        os.link(lock, other)
        held = other.read_bytes()
    assert held and other.read_bytes() == held  # the holder record was left as it was, not truncated


def test_a_lock_replaced_while_held_is_not_touched_on_release(tmp_path):
    lock = tmp_path / "lock"
    with file_lock(lock, "up", wait=0):
        lock.unlink()
        lock.write_bytes(PRECIOUS)
    assert lock.read_bytes() == PRECIOUS


def test_the_cli_refuses_a_linked_lock_in_one_line_with_exit_3(tmp_path, precious):
    stack = tmp_path / "stack"
    stack.mkdir()
    make_stack(stack)
    plant(lock_path(stack), precious, "symlink")
    done = launcher(stack, "init", "--non-interactive", env={"LAUNCHER_LOCK_WAIT": "0"})
    assert done.returncode == ExitCode.CONFIG, done.stderr
    [line] = done.stderr.decode().splitlines()
    assert line.startswith(f"launcher: the lock .launcher/lock ({lock_path(stack)}) is a symbolic link"), line
    assert "remove that link" in line
    assert precious.read_bytes() == PRECIOUS
    assert not (stack / ".env").exists()


def test_the_launchers_own_lock_file_is_reused_run_after_run(tmp_path):
    lock = tmp_path / "lock"
    for _ in range(2):
        with file_lock(lock, "up", wait=0):
            assert lock.stat().st_mode & 0o777 == 0o600
    assert lock.read_bytes() == b""
