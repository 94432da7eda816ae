"""Docker and Compose failures turned into one line each: what happened, and what to do next."""

from __future__ import annotations

import os
import re

from wizard.core.docker.endpoint import DEFAULT_HOST, Endpoint, answering_socket, current
from wizard.core.support.errors import ConfigError, ContainerGone, DockerUnavailable


def engine_unreachable(exc: BaseException, endpoint: Endpoint | None = None) -> DockerUnavailable:
    """One line for "cannot talk to the engine": where it was looked for (and why there), and the reason.

    When nothing answers there, an engine that does answer at another usual place is named
    with how to use it (Podman, the desktop engines, rootless Docker).
    """
    if endpoint is None:
        try:
            endpoint = current()
        except ConfigError:  # the files were read already before any engine call: not this line's subject
            endpoint = Endpoint(os.environ.get("DOCKER_HOST") or DEFAULT_HOST, "DOCKER_HOST")
    text = f"{type(exc).__name__}: {exc}"
    reason = "no answer"
    not_docker = "something answers there, but not as a Docker engine"
    # BadStatusLine: not HTTP at all; NotDocker and a JSON decode error: HTTP, but not the Docker API.
    for needle, words in (("BadStatusLine", not_docker), ("NotDocker", not_docker),
                          ("JSONDecodeError", not_docker), ("Expecting value", not_docker),
                          ("FileNotFoundError", "no socket there"), ("No such file", "no socket there"),
                          ("ConnectionRefused", "connection refused"), ("Connection refused", "connection refused"),
                          ("PermissionError", "permission denied"), ("Permission denied", "permission denied"),
                          ("timed out", "timed out"), ("Read timed out", "timed out"),
                          ("Unanswered", "it closed the connection without an answer"),
                          ("Remote end closed connection", "it closed the connection without an answer")):
        if needle in text:
            reason = words
            break
    other = (answering_socket(skip=endpoint.socket_path)
             if reason in ("no socket there", "connection refused") else None)
    fix = "choose another context (`docker context use NAME`)" if endpoint.context else "fix DOCKER_HOST"
    hint = ("add yourself to the docker group (then log in again)" if reason == "permission denied"
            else "point DOCKER_HOST at a Docker engine, or unset it for the local one" if reason == not_docker
            else f"{other[0]} answers at {other[1]}: use it with `export DOCKER_HOST=unix://{other[1]}`" if other
            else f"start Docker (e.g. `sudo systemctl start docker`) or {fix}")
    return DockerUnavailable(f"Docker engine not reachable at {endpoint.host} ({reason}), {endpoint.origin()}", hint)


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
