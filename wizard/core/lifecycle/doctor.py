"""`launcher doctor`: every check in ``wizard.core.lifecycle.checks``, engine and compose first.

Nothing is started or changed; any "fail" is a blocker, a "warn" is worth knowing.
"""

from __future__ import annotations

from typing import Any

from wizard.core.lifecycle.checks import (WantedPort, disk_check, env_files_check, local_paths_check, memory_check,
                                          published_port_checks, shared_port_checks, wanted_ports)
from wizard.core.docker.engineinfo import healthchecks_cannot_run
from wizard.core.docker.protocol import Engine, RecordsUp
from wizard.core.support.errors import ConfigError, LauncherError
from wizard.core.support.events import PreflightCheck
from wizard.core.manifest.stack import Stack


def run_doctor(stack: Stack, engine: Engine) -> list[PreflightCheck]:
    """Every check `launcher doctor` reports; any "fail" is a blocker."""
    checks: list[PreflightCheck] = []
    try:
        facts = engine.versions()
    except ConfigError:
        raise  # a wrong Docker CLI config or context file: exit 3, as every command
    except LauncherError as error:
        checks.append(PreflightCheck("engine", "fail", error.message, error.hint))
        return checks
    checks.append(PreflightCheck("engine", "ok", engine_line(facts)))
    if healthchecks_cannot_run(facts):
        checks.append(PreflightCheck("healthchecks", "warn",
                                     "Podman runs healthchecks from systemd timers and this machine has no systemd: "
                                     "a service's health stays 'starting'",
                                     "run `podman healthcheck run CONTAINER` every few seconds for each, or run Podman "
                                     "where systemd runs; `up` waits for a healthcheck only until its timeout"))
    try:
        checks.append(PreflightCheck("compose", "ok", engine.compose.describe()))
        compose_ok = True
    except LauncherError as error:
        checks.append(PreflightCheck("compose", "fail", error.message, error.hint))
        compose_ok = False
    checks.append(memory_check(facts["memory"], facts["cpus"]))
    checks.append(disk_check(facts["root_dir"], engine.remote_host))
    checks.append(env_files_check(stack))
    if engine.remote_host and compose_ok and isinstance(engine, RecordsUp):
        try:
            paths = local_paths_check(engine.resolved_config(), engine.remote_host, stack.root)
        except ConfigError:
            paths = None  # the compose files' own fault: reported below, with the ports
        if paths is not None:
            checks.append(paths)
    checks.append(PreflightCheck("by hand", "ok", engine.by_hand()))
    values = _values_or_none(stack)
    try:
        wanted = wanted_ports(stack, engine if compose_ok else None, values)
    except ConfigError as error:
        checks.append(PreflightCheck("compose files", "fail", error.message, error.hint))
        wanted = wanted_ports(stack, None, values)
    shared = shared_port_checks(stack, values)
    checks.extend(shared)
    # A port two settings share is reported once, as that blocker.
    checks.extend(check for check in published_port_checks(engine, wanted)
                  if check.name not in {blocker.name for blocker in shared})
    if facts.get("rootless"):
        checks.append(rootless_check(wanted))
    return checks


def rootless_check(wanted: list[WantedPort]) -> PreflightCheck:
    """What a rootless engine changes for this stack: low ports, and who owns bind-mounted files."""
    low = sorted({f"{item.port} ({item.owner})" for item in wanted if item.port < 1024})
    ownership = ("files a container writes into a bind mount belong to a subordinate user id on this machine "
                 "(root in the container is you)")
    if low:
        return PreflightCheck("rootless", "fail", f"a rootless engine cannot publish ports below 1024: {', '.join(low)}",
                              "choose ports from 1024 up (launcher init --set NAME=PORT), or allow them with "
                              "`sysctl net.ipv4.ip_unprivileged_port_start=PORT`")
    return PreflightCheck("rootless", "ok", f"ports from 1024 up only; {ownership}")


def engine_line(facts: dict[str, Any]) -> str:
    """``Podman 4.3.1 (API 1.41, rootless), debian, at unix:///run/podman.sock, context podman (from ...)``."""
    api = f"API {facts['api']}" + (", rootless" if facts.get("rootless") else "")
    where = f", at {facts['endpoint']}, {facts['via']}" if facts.get("endpoint") else ""
    return f"{facts.get('kind', 'Docker')} {facts['engine']} ({api}), {facts['os']}{where}"


def finding(check: PreflightCheck) -> dict[str, Any]:
    """One check as `doctor --json` has always listed it: name, status, detail, hint."""
    return {"name": check.check, "status": check.status, "detail": check.detail, "hint": check.hint}


def _values_or_none(stack: Stack) -> dict[str, str] | None:
    from wizard.core.values.resolution import current_values

    try:
        return current_values(stack)
    except LauncherError:
        return None  # not initialised yet: doctor falls back to the manifest defaults
