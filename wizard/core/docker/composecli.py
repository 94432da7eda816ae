"""Finding Compose v2 on this machine: the docker plugin or a docker-compose binary, new enough."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from wizard.core.support.cache import cache_read, cache_write, fingerprint
from wizard.core.support.errors import DockerUnavailable

MIN_COMPOSE = (2, 26, 0)


@dataclass(frozen=True)
class ComposeCLI:
    """How to run Compose v2 here: ``docker compose`` or a ``docker-compose`` binary."""

    argv: tuple[str, ...]
    version: str

    def describe(self) -> str:
        name = "docker compose" if self.argv[-1] == "compose" else self.argv[0]
        return f"{name} {self.version}"


def parse_version(text: str) -> tuple[int, int, int] | None:
    """The first x.y.z in a version string (``v2.40.3``, ``Docker Compose version 2.27.0``)."""
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text)
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def compose_candidates() -> list[tuple[str, ...]]:
    """Where Compose v2 may live, in the order we prefer: the docker plugin, then the binary."""
    candidates: list[tuple[str, ...]] = []
    docker = shutil.which("docker")
    if docker:
        candidates.append((docker, "compose"))
    standalone = shutil.which("docker-compose")
    if standalone:
        candidates.append((standalone,))
    return candidates


def find_compose() -> ComposeCLI:
    """Find Compose v2 >= 2.26, or raise DockerUnavailable naming what was found instead.

    The answer is cached on disk, keyed by the binaries' paths and modification
    times, so a daily `up` does not pay for a `docker compose version` each time.
    """
    candidates = compose_candidates()
    key = fingerprint({"candidates": candidates, "docker_config": os.environ.get("DOCKER_CONFIG", "")},
                       [Path(part) for argv in candidates for part in argv[:1]] + _plugin_paths())
    cached = cache_read("compose", key)
    if cached:
        return ComposeCLI(tuple(cached["argv"]), cached["version"])
    import subprocess

    found: list[str] = []
    for argv in candidates:
        shown = "docker compose" if argv[-1] == "compose" else argv[0]
        try:
            result = subprocess.run([*argv, "version", "--short"], capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired) as exc:
            found.append(f"{shown} (does not run: {exc})")
            continue
        version = parse_version(result.stdout) if result.returncode == 0 else None
        if version is None:
            found.append(f"{shown} (not installed)" if argv[-1] == "compose" else f"{shown} (no version)")
            continue
        text = ".".join(map(str, version))
        if version >= MIN_COMPOSE:
            cli = ComposeCLI(argv, text)
            cache_write("compose", key, {"argv": list(argv), "version": text})
            return cli
        found.append(f"{shown} {text}")
    wanted = ".".join(map(str, MIN_COMPOSE))
    raise DockerUnavailable(
        f"Docker Compose v{wanted} or newer is needed; found: {', '.join(found) or 'no docker or docker-compose on PATH'}",
        "install the Docker Compose v2 plugin (https://docs.docker.com/compose/install/)",
    )


def _plugin_paths() -> list[Path]:
    config = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    folders = [config / "cli-plugins", Path("/usr/local/lib/docker/cli-plugins"),
               Path("/usr/local/libexec/docker/cli-plugins"), Path("/usr/lib/docker/cli-plugins"),
               Path("/usr/libexec/docker/cli-plugins")]
    return [folder / "docker-compose" for folder in folders]
