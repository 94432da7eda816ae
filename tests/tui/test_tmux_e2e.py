"""End to end in a real terminal: `launcher init` driven through tmux to a written setup, then
`launcher up` against a stack of local images to an all-healthy dashboard, then `q`.

tmux gives the program a real pseudo-terminal, so this goes through the same
front-end choice a user gets (use_tui), Textual's real driver, and the real
Docker engine and Compose v2.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import launcher_command, missing_part
from tests.integration.engine_stack import free_ports
from tests.tui.helpers import copy_stack

pytestmark = [pytest.mark.integration, pytest.mark.tui]
WIDTH, HEIGHT = 100, 30


class Terminal:
    """One tmux session on a private tmux server (its own socket), killed at the end."""

    def __init__(self, cwd: Path) -> None:
        if not shutil.which("tmux"):
            missing_part("tmux not installed")
        self.socket = f"launcher-e2e-{uuid.uuid4().hex[:8]}"
        self.cwd = cwd
        self.count = 0

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True,
                              check=True, timeout=30).stdout

    def run(self, command: str) -> Path:
        """Start command in a new window; returns the file its exit code lands in."""
        self.count += 1
        done = self.cwd / f".exit-{self.count}"
        env = {"PATH": f"{Path(launcher_command()[0]).parent}:{os.environ['PATH']}", "LAUNCHER_NO_CACHE": "1",
               "XDG_STATE_HOME": os.environ["XDG_STATE_HOME"]}
        exports = " ".join(f"{name}={value!r}" for name, value in env.items())
        # The person at this terminal is not a CI job: CI=true (set by .ci/run) would make
        # the launcher refuse to ask anything, as it must in CI.
        script = f"cd {self.cwd} && env -u CI -u LAUNCHER_NON_INTERACTIVE {exports} {command}; echo $? > {done}; sleep 3600"
        if self.count == 1:
            self.tmux("new-session", "-d", "-s", "e2e", "-x", str(WIDTH), "-y", str(HEIGHT), script)
        else:
            self.tmux("respawn-pane", "-k", "-t", "e2e", script)
        return done

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "e2e", *keys)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "e2e")

    def wait_for(self, pattern: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if re.search(pattern, text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} never showed up; the screen:\n{text}")
            time.sleep(0.2)

    def exit_code(self, done: Path, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while not done.exists() or not done.read_text().strip():
            assert time.monotonic() < deadline, f"the program did not end; the screen:\n{self.screen()}"
            time.sleep(0.2)
        return int(done.read_text())

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=30)


@pytest.fixture
def terminal_stack(tmp_path, compose_project):
    """The live fixture stack under a unique compose project name."""
    root = copy_stack("live_stack", tmp_path)
    manifest = root / "stack.toml"
    manifest.write_text(manifest.read_text().replace('name = "tuilive"', f'name = "{compose_project}"'))
    return root


def test_init_in_tmux_then_up_to_an_all_healthy_dashboard(terminal_stack, images, compose_project, docker_client):
    (port,) = free_ports(1)
    term = Terminal(terminal_stack)
    try:
        done = term.run("launcher init")
        term.wait_for(r"1/6 .*Welcome")
        term.keys("C-n")
        term.wait_for(r"Groups start in this order")
        term.keys("C-n")
        term.wait_for(r"WEB_PORT\s+18090")
        term.keys("C-u")  # the port field has the focus: clear it, then type a free port
        term.wait_for(r"WEB_PORT\s+✗ '' is not a port number")
        # Typed after the clear has landed, as a person would: a control key and text arriving in
        # one read are taken by Textual as something else than keystrokes.
        term.keys(str(port))
        term.wait_for(rf"WEB_PORT\s+{port}\s+✓ free")
        term.keys("C-n")
        term.wait_for(r"WORKER_TOKEN\s+token\s+new\s+\*{8}")
        term.keys("C-n")
        term.wait_for(r"5/6")
        term.keys("C-n")
        term.wait_for(r"\.launcher/values\.env\s+create")
        term.keys("C-n")  # write
        term.wait_for(r"Files written\. Start the stack now\?")
        term.keys("Escape")  # done; start it with `launcher up` below
        assert term.exit_code(done) == 0
        term.wait_for(r"next: launcher up")

        env_text = (terminal_stack / ".env").read_text()
        assert f"WEB_PORT={port}" in env_text
        assert re.search(r"^WORKER_TOKEN=[A-Za-z0-9_-]{32}$", env_text, re.MULTILINE)
        assert (terminal_stack / ".env").stat().st_mode & 0o777 == 0o600

        done = term.run("launcher up")
        text = term.wait_for(r": 2/2 ready", timeout=180)
        assert re.search(rf"web\s+web\s+✓ running\s+healthy\s+http://127\.0\.0\.1:{port}", text), text
        assert re.search(r"worker\s+worker\s+✓ running\s+healthy", text), text
        term.keys("q")
        assert term.exit_code(done) == 0
    finally:
        term.close()

    label = f"com.docker.compose.project={compose_project}"
    running = {c.labels["com.docker.compose.service"]: c.status
               for c in docker_client.containers.list(filters={"label": label})}
    assert running == {"web": "running", "worker": "running"}
