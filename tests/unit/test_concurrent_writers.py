"""`init` and `secrets rotate` at the same moment, 50 times: the stack's lock keeps every rotation."""

from __future__ import annotations

import os
import subprocess

import jwt
from dotenv import dotenv_values

from tests.conftest import launcher_command
from tests.unit.test_safety import make_stack

PAIRS = 50


def start(folder, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*launcher_command(), *args], cwd=folder, text=True, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "NO_COLOR": "1"})


def test_fifty_concurrent_init_and_rotate_pairs_lose_nothing(tmp_path):
    make_stack(tmp_path)
    first = start(tmp_path, "init", "--non-interactive")
    assert first.wait(60) == 0, first.stderr.read()
    store = tmp_path / ".launcher" / "values.env"
    seen = {dotenv_values(store)["JWT_SECRET"]}
    for pair in range(PAIRS):
        before = dotenv_values(store)["JWT_SECRET"]
        # Alternate who starts first, so both orders race.
        commands = [("init", "--non-interactive"), ("secrets", "rotate", "JWT_SECRET", "--yes")]
        processes = [start(tmp_path, *command) for command in (commands if pair % 2 else commands[::-1])]
        for process in processes:
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, (pair, process.args, err)
        stored = dotenv_values(store)
        env = dotenv_values(tmp_path / ".env")
        assert stored["JWT_SECRET"] != before, f"pair {pair}: the rotation was lost"
        assert stored["JWT_SECRET"] not in seen
        seen.add(stored["JWT_SECRET"])
        assert env["JWT_SECRET"] == stored["JWT_SECRET"] and env["ANON_KEY"] == stored["ANON_KEY"], pair
        claims = jwt.decode(env["ANON_KEY"], stored["JWT_SECRET"], algorithms=["HS256"])
        assert claims["role"] == "anon"
    assert not list(tmp_path.glob(".*.launcher-tmp")) and not list(tmp_path.glob("**/.*.launcher-tmp"))
