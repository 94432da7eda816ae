"""Which engine answers (Docker or Podman, rootless or not), and container health where its list leaves it out.

Podman is told by the `Podman Engine` component of its version answer (as DDEV tells
it) or, for free, by the Libpod-API-Version header on every answer of its API service;
rootless by ``name=rootless`` in the engine's security options.

Podman 4.x lists a running container as "Up 2 seconds" whatever its health, where
Docker writes "Up 2 seconds (healthy)": on Podman the health comes from inspect.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

from wizard.core.docker.containers import health_of
from wizard.core.docker.endpoint import Endpoint
from wizard.core.support.errors import DockerUnavailable

SYSTEMD_RUNNING = Path("/run/systemd/system")  # what sd_booted() looks at: systemd is this machine's init
# Said where a Podman healthcheck has not run once (see ``healthchecks_cannot_run``).
NEVER_PROBED = "no probe has run: Podman runs healthchecks from systemd timers (see `launcher doctor`)"


def engine_kind(version: dict[str, Any]) -> str:
    """"Podman" when the version answer lists a `Podman Engine` component, else "Docker"."""
    components = version.get("Components") or []
    names = {component.get("Name") for component in components if isinstance(component, dict)}
    return "Podman" if "Podman Engine" in names else "Docker"


def engine_facts(version: dict[str, Any], info: dict[str, Any], endpoint: Endpoint) -> dict[str, Any]:
    """The engine's answers to /version and /info, as doctor and `status --json` name it."""
    security = info.get("SecurityOptions") or []
    return {
        "kind": engine_kind(version),
        "engine": version.get("Version", "?"),
        "api": version.get("ApiVersion", "?"),
        # Rootless: the engine runs as a user, so ports below 1024 and bind-mount ownership differ.
        "rootless": any("name=rootless" in str(option).split(",") for option in security),
        "endpoint": endpoint.host,
        "via": endpoint.origin(),
        "context": endpoint.context or None,
        "memory": int(info.get("MemTotal") or 0),
        "cpus": int(info.get("NCPU") or 0),
        "root_dir": info.get("DockerRootDir") or "",
        "os": info.get("OperatingSystem") or "",
    }


def healthchecks_cannot_run(facts: dict[str, Any], systemd: Path | None = None) -> bool:
    """Podman on this Linux machine, which has no systemd: Podman's healthcheck timers never fire,
    so health stays "starting" (WSL without systemd, containers in containers)."""
    local = str(facts.get("endpoint") or "").startswith("unix://")
    return facts.get("kind") == "Podman" and local and sys.platform == "linux" and not (systemd or SYSTEMD_RUNNING).is_dir()


class HealthFromInspect:
    """Health of running containers from inspect, on Podman only (Docker's list says it already).

    A container without a healthcheck is asked once (a healthcheck is set at creation), so
    a refresh inspects only the containers that have one.
    """

    def __init__(self, light: Callable[[], Any], sdk: Callable[[], Any]) -> None:
        self._light = light  # the engine's LightClient or None (then the SDK client is used)
        self._sdk = sdk
        self._podman: bool | None = None
        self._has_healthcheck: dict[str, bool] = {}

    def of(self, summary: dict[str, Any]) -> str | None:
        """The container's health, or None when the list's own answer is right (Docker, not running)."""
        if summary.get("State") != "running" or "Health" in summary or not self.is_podman():
            return None
        cid = summary.get("Id", "")
        if self._has_healthcheck.get(cid) is False:
            return ""
        details = self._inspect(cid)
        if details is None:
            return None  # removed since the list: the list's words stand
        health = health_of(details)
        self._has_healthcheck[cid] = bool(health)
        return health

    def is_podman(self) -> bool:
        light = self._light()
        if light is not None and light.podman is not None:
            return light.podman  # from the list call just made: no call of its own
        if self._podman is None:
            self._podman = engine_kind(self._sdk().version()) == "Podman"
        return self._podman

    def _inspect(self, container_id: str) -> dict[str, Any] | None:
        light = self._light()
        if light is not None:
            try:
                return light.get(f"/containers/{container_id}/json")
            except DockerUnavailable:
                return None
        import docker.errors  # the SDK only without a light client: it costs half a second to import

        try:
            return self._sdk().api.inspect_container(container_id)
        except docker.errors.NotFound:
            return None
