"""A rootless Docker engine for the tests that need one: Debian's `dockerd-rootless.sh` (docker.io's
contrib script, on rootlesskit and slirp4netns) run by a plain user of the test bed's own, with its
own data root and socket, and the test images loaded.

Started only by the tests that use it (tests/integration/test_rootless_docker.py), stopped after
them; the Docker engine the other tests share is not touched. What a laptop's distribution does
and this sandbox has not done: subordinate ids for the user (/etc/subuid, /etc/subgid) and
/dev/net/tun open to users (Debian's udev rule makes it 0666; here it is 0600). The launcher
itself runs as root against the user's socket: this machine's Python lives under /root, where a
plain user cannot run it.

Run by hand (from the repository root): `python -m tests.testbed.rootless_bed` starts it and prints the DOCKER_HOST to use.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from pathlib import Path

USER = "launcher-rootless"
SUBORDINATE_IDS = "300000:65536"  # a range no other user of the test bed has
PACKAGES = {"rootlesskit": "rootlesskit", "newuidmap": "uidmap", "slirp4netns": "slirp4netns"}
SCRIPT = Path("/usr/share/docker.io/contrib/dockerd-rootless.sh")
TUN = Path("/dev/net/tun")


def prepare_machine() -> None:
    """Packages, the user with its subordinate ids, and a tun device users may open."""
    missing = [package for program, package in PACKAGES.items() if not shutil.which(program)]
    if missing:
        for args in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *missing]):
            subprocess.run(args, check=True, capture_output=True, timeout=600,
                           env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if subprocess.run(["id", USER], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", USER], check=True, capture_output=True)
    for table in (Path("/etc/subuid"), Path("/etc/subgid")):
        lines = table.read_text().splitlines() if table.exists() else []
        if not any(line.startswith(f"{USER}:") for line in lines):
            table.write_text("".join(f"{line}\n" for line in [*lines, f"{USER}:{SUBORDINATE_IDS}"]))
    if stat.S_IMODE(TUN.stat().st_mode) != 0o666:
        TUN.chmod(0o666)  # rw for everyone, as the distributions' udev rule sets it


class RootlessDockerBed:
    """`dockerd-rootless.sh` as ``USER`` on ``socket``; ``stop`` ends it and removes its data."""

    def __init__(self) -> None:
        prepare_machine()
        # Its own folder under /tmp: the user cannot pass through root's 0700 pytest folders.
        self.folder = folder = Path(tempfile.mkdtemp(prefix="launcher-rootless-"))
        self.runtime = folder / "run"  # XDG_RUNTIME_DIR: the socket and rootlesskit's state
        self.data = folder / "data"
        for path in (folder, self.runtime, self.data):
            path.mkdir(mode=0o700, exist_ok=True)
            shutil.chown(path, USER, USER)
        self.socket = self.runtime / "docker.sock"
        self.host = f"unix://{self.socket}"
        self._log = open(folder / "dockerd.log", "wb")  # noqa: SIM115 - open while the engine runs
        env = {"HOME": f"/home/{USER}", "USER": USER, "XDG_RUNTIME_DIR": str(self.runtime),
               "PATH": f"{SCRIPT.parent}:/usr/sbin:/usr/bin:/sbin:/bin"}
        self._engine = subprocess.Popen(["runuser", "-u", USER, "--", str(SCRIPT), "--data-root", str(self.data)],
                                        env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        self._wait_until_it_answers()

    def docker(self, *args: str, **options) -> subprocess.CompletedProcess:
        """The docker CLI against this engine."""
        return subprocess.run(["docker", *args], env={**os.environ, "DOCKER_HOST": self.host}, capture_output=True,
                              text=True, timeout=options.pop("timeout", 120), **options)

    def _wait_until_it_answers(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._engine.poll() is not None:
                raise RuntimeError(f"dockerd-rootless.sh exited: {(self.folder / 'dockerd.log').read_text()[-2000:]}")
            if self.socket.exists() and self.docker("version").returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("the rootless engine did not answer within 60 s")

    def load_images(self, tags: list[str]) -> None:
        """Each test image, saved from the shared engine and loaded here."""
        for tag in tags:
            if self.docker("image", "inspect", tag).returncode == 0:
                continue
            saved = subprocess.Popen(["docker", "save", tag], stdout=subprocess.PIPE, env={
                key: value for key, value in os.environ.items() if key != "DOCKER_HOST"})
            loaded = subprocess.run(["docker", "load"], stdin=saved.stdout, env={**os.environ, "DOCKER_HOST": self.host},
                                    capture_output=True, timeout=600)
            saved.wait()
            if loaded.returncode != 0 or saved.returncode != 0:
                raise RuntimeError(f"could not load {tag}: {loaded.stderr.decode()[-300:]}")

    def stop(self) -> None:
        """End the engine (its whole session: rootlesskit, dockerd, containerd), then its data."""
        try:
            os.killpg(self._engine.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self._engine.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self._engine.pid, signal.SIGKILL)
            self._engine.wait()
        self._log.close()
        # The data root holds files of the subordinate ids: root removes them.
        shutil.rmtree(self.folder, ignore_errors=True)


if __name__ == "__main__":
    from tests.testbed.byhand import serve_until_interrupted

    serve_until_interrupted(RootlessDockerBed())
