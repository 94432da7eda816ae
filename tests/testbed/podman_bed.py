"""A Podman engine for the tests that need one: Debian's podman, its Docker-compatible API on a socket of
the test bed's own, the test images loaded and tagged, and a loop that runs the healthchecks.

Started only by the tests that use it (tests/integration/test_podman.py), stopped by pid after
them; the Docker engine the other tests share is not touched. What this sandbox needs and a
laptop does not (see /work/shared/TESTBED.md): an nproc limit Podman's default asks for and the
sandbox refuses (our own containers.conf through CONTAINERS_CONF, never /etc), and healthchecks
run by hand every second (Podman runs them from systemd timers; there is no systemd here).

Run by hand (from the repository root): `python -m tests.testbed.podman_bed` starts it and prints the DOCKER_HOST to use.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

CONTAINERS_CONF = """[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
"""
HEALTH_TICK = 1.0


def ensure_installed() -> str:
    """The podman binary, installed from Debian (with catatonit, which `init: true` needs) when missing."""
    found = shutil.which("podman")
    if found and Path("/usr/libexec/podman/catatonit").exists():
        return found
    for args in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "podman", "catatonit"]):
        subprocess.run(args, check=True, capture_output=True, timeout=600,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    return shutil.which("podman") or "podman"


class PodmanBed:
    """Podman's API service on ``socket``, with the healthcheck loop; ``stop`` ends both."""

    def __init__(self, folder: Path | None = None) -> None:
        self.podman = ensure_installed()
        self._own_folder = folder is None  # a folder of its own goes with it
        self.folder = Path(folder or tempfile.mkdtemp(prefix="launcher-podman-"))
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "containers.conf").write_text(CONTAINERS_CONF)
        self.env = {**os.environ, "CONTAINERS_CONF": str(self.folder / "containers.conf")}
        self.env.pop("DOCKER_HOST", None)
        self.socket = self.folder / "podman.sock"
        self.host = f"unix://{self.socket}"
        self._log = open(self.folder / "service.log", "wb")  # noqa: SIM115 - open while the service runs
        self._service = subprocess.Popen([self.podman, "system", "service", "--time=0", self.host],
                                         env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        self._wait_until_it_answers()
        self._stop = threading.Event()
        self.health_runs = 0
        self._loop = threading.Thread(target=self._run_healthchecks, daemon=True)
        self._loop.start()

    def run(self, *args: str, **options) -> subprocess.CompletedProcess:
        return subprocess.run([self.podman, *args], env=self.env, capture_output=True, text=True, **options)

    def _wait_until_it_answers(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._service.poll() is not None:
                raise RuntimeError(f"podman system service exited: {(self.folder / 'service.log').read_text()}")
            if self.socket.exists() and self.docker("version").returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("podman system service did not answer within 30 s")

    def docker(self, *args: str) -> subprocess.CompletedProcess:
        """The docker CLI against this Podman."""
        return subprocess.run(["docker", *args], env={**self.env, "DOCKER_HOST": self.host}, capture_output=True,
                              text=True, timeout=120)

    def load_images(self, tags: list[str]) -> None:
        """Each Docker test image, saved from Docker and loaded here, under the name compose files use."""
        for tag in tags:
            wanted = f"docker.io/{tag}"
            if self.run("image", "exists", wanted).returncode == 0:
                continue
            saved = subprocess.Popen(["docker", "save", tag], stdout=subprocess.PIPE)
            loaded = subprocess.run([self.podman, "load"], stdin=saved.stdout, env=self.env, capture_output=True,
                                    timeout=600)
            saved.wait()
            if loaded.returncode != 0 or saved.returncode != 0:
                raise RuntimeError(f"could not load {tag} into podman: {loaded.stderr.decode()[-300:]}")
            # `podman load` names it localhost/...; compose files say launcher-test/..., which is docker.io's.
            tagged = self.run("tag", f"localhost/{tag}", wanted)
            if tagged.returncode != 0:
                raise RuntimeError(f"could not tag {tag}: {tagged.stderr}")

    def _run_healthchecks(self) -> None:
        """What systemd's timers do on a laptop: each running container's healthcheck, every second."""
        while not self._stop.wait(HEALTH_TICK):
            listed = self.run("ps", "--filter", "status=running", "--format", "json")
            try:
                running = json.loads(listed.stdout or "[]")
            except ValueError:
                continue
            for container in running:
                # "Status": "Up 3 seconds (starting)" / "(healthy)" / "(unhealthy)" only when it has a healthcheck.
                if "(" in str(container.get("Status", "")):
                    self.run("healthcheck", "run", container["Id"])
                    self.health_runs += 1

    def stop(self) -> None:
        self._stop.set()
        self._loop.join(timeout=10)
        self._service.terminate()
        try:
            self._service.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._service.kill()
            self._service.wait()
        self._log.close()
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)


if __name__ == "__main__":
    from tests.testbed.byhand import serve_until_interrupted

    serve_until_interrupted(PodmanBed())
