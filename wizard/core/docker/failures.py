"""Docker and Compose failures turned into one line each: what happened, and what to do next."""

from __future__ import annotations

import os
import re

from wizard.core.support.errors import ConfigError, ContainerGone, DockerUnavailable


def engine_unreachable(exc: BaseException) -> DockerUnavailable:
    """One line for "cannot talk to the engine", with the address and the reason."""
    host = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    text = f"{type(exc).__name__}: {exc}"
    reason = "no answer"
    not_docker = "something answers there, but not as a Docker engine"
    # BadStatusLine: not HTTP at all; NotDocker and a JSON decode error: HTTP, but not the Docker API.
    for needle, words in (("BadStatusLine", not_docker), ("NotDocker", not_docker),
                          ("JSONDecodeError", not_docker), ("Expecting value", not_docker),
                          ("FileNotFoundError", "no socket there"), ("No such file", "no socket there"),
                          ("ConnectionRefused", "connection refused"), ("Connection refused", "connection refused"),
                          ("PermissionError", "permission denied"), ("Permission denied", "permission denied"),
                          ("timed out", "timed out"), ("Read timed out", "timed out")):
        if needle in text:
            reason = words
            break
    hint = ("add yourself to the docker group (then log in again)" if reason == "permission denied"
            else "point DOCKER_HOST at a Docker engine, or unset it for the local one" if reason == not_docker
            else "start Docker (e.g. `sudo systemctl start docker`) or fix DOCKER_HOST")
    return DockerUnavailable(f"Docker engine not reachable at {host} ({reason})", hint)


def container_gone(container: str) -> ContainerGone:
    """A container id or name from an earlier list that the engine no longer knows."""
    shown = container[:12] if re.fullmatch(r"[0-9a-f]{64}", container) else container
    return ContainerGone(f"container {shown} was removed since it was listed",
                         "run the command again; `launcher status` shows what runs now")


def compose_failed(command: str, output: str) -> ConfigError:
    """Compose's own complaint, condensed to its last meaningful line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    last = lines[-1] if lines else "no output"
    return ConfigError(f"docker compose {command} failed: {last}",
                       "fix the compose file or env file it names, then run again")
