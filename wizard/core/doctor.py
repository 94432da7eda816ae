"""Requirement and conflict checks: engine, compose, memory, disk, and the ports the stack publishes.

`launcher doctor` shows every check; `launcher up` runs the port checks in its
preflight. A busy port names who holds it (a container by name when it is one)
and suggests a free port to use instead.
"""

from __future__ import annotations

import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from wizard.core.docker.composeengine import ComposeEngine
from wizard.core.docker.containers import ContainerState
from wizard.core.docker.model import PublishedPort
from wizard.core.errors import ConfigError, LauncherError
from wizard.core.stack import Stack

GIB = 1024 ** 3
MEMORY_WARN = 2 * GIB
DISK_WARN = 5 * GIB
DISK_FAIL = 1 * GIB


@dataclass(frozen=True)
class Check:
    """One finding. ``status``: "ok", "warn" (worth knowing) or "fail" (a blocker)."""

    name: str
    status: str
    detail: str
    hint: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class WantedPort:
    """A host port the stack will publish, and who wants it (a service or a setting)."""

    port: int
    owner: str
    setting: str = ""  # the manifest setting that chooses this port, when one does


# --------------------------------------------------------------------------- ports


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a TCP listener could bind host:port right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # Without SO_REUSEADDR a port still in TIME_WAIT would look taken.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port_near(port: int, avoid: Iterable[int] = ()) -> int | None:
    """The first free port above ``port`` not in ``avoid`` (None if none in the next 1000)."""
    avoided = set(avoid)
    for candidate in range(port + 1, min(port + 1000, 65536)):
        if candidate not in avoided and port_free(candidate):
            return candidate
    return None


def port_holder(port: int, containers: Sequence[ContainerState]) -> str:
    """Who holds a host port: a container by name, else a local process when we may look."""
    for container in containers:
        if container.state == "running" and any(p.port == port for p in container.ports):
            return f"container {container.name}"
    process = _listening_process(port)
    return f"process {process}" if process else "another process"


def _listening_process(port: int) -> str:
    """Name and pid of the local process listening on a TCP port, from /proc (Linux only)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            # local_address is HEXIP:HEXPORT; state 0A is LISTEN.
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    if not inodes:
        return ""
    wanted = {f"socket:[{inode}]" for inode in inodes}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") in wanted:
                    name = Path(f"/proc/{pid}/comm").read_text().strip()
                    return f"{name} (pid {pid})"
        except OSError:
            continue  # gone, or not ours to look at
    return ""


def check_ports(wanted: Sequence[WantedPort], project: Sequence[ContainerState],
                everyone: Sequence[ContainerState] | None = None) -> list[Check]:
    """One check per wanted port: free, held by this stack already (fine), or busy (a blocker).

    ``everyone`` is only listed when a port is busy, to name the container holding it.
    """
    checks = []
    ours = {p.port: c.name for c in project if c.state in ("running", "restarting", "paused") for p in c.ports}
    all_wanted = [w.port for w in wanted]
    seen: set[int] = set()
    for item in sorted(wanted, key=lambda w: w.port):
        if item.port in seen:
            continue
        seen.add(item.port)
        name = f"port {item.port}"
        if item.port in ours:
            checks.append(Check(name, "ok", f"{item.owner}: in use by this stack ({ours[item.port]})"))
        elif port_free(item.port):
            checks.append(Check(name, "ok", f"{item.owner}: free on 127.0.0.1"))
        else:
            holder = port_holder(item.port, everyone if everyone is not None else ())
            checks.append(Check(name, "fail", f"{item.owner}: 127.0.0.1:{item.port} is held by {holder}",
                                _busy_hint(item, holder, free_port_near(item.port, all_wanted))))
    return checks


def _busy_hint(item: WantedPort, holder: str, instead: int | None) -> str:
    stop = f"stop {holder.split(' ', 1)[1]}" if holder.startswith("container") else "stop it"
    if instead is None:
        return stop
    if item.setting:
        return f"{stop}, or use port {instead} instead: launcher init --set {item.setting}={instead}"
    return f"{stop}, or publish it on port {instead} instead"


def shared_ports(stack: Stack, values: Mapping[str, str] | None) -> dict[int, list[str]]:
    """Ports that two or more of the stack's own port settings chose, each with those settings.

    Each such port is free as far as the machine can tell, yet compose fails
    the second time it publishes it: only the settings side by side show it.
    """
    owners: dict[int, list[str]] = {}
    for port, name in _port_values(stack, values):
        owners.setdefault(port, []).append(name)
    return {port: names for port, names in owners.items() if len(names) > 1}


def shared_port_checks(stack: Stack, values: Mapping[str, str] | None) -> list[Check]:
    """One blocker per port that two of the stack's settings chose, naming a free port for one of them."""
    shared = shared_ports(stack, values)
    taken = [port for port, _ in _port_values(stack, values)]
    checks = []
    for port, names in sorted(shared.items()):
        instead = free_port_near(port, taken)
        if instead:
            taken.append(instead)  # two shared ports never get the same suggestion
        both = "both" if len(names) == 2 else "all"
        named = ", ".join(names[:-1]) + f" and {names[-1]}"
        checks.append(Check(f"port {port}", "fail", f"settings {named} {both} use port {port}",
                            f"give {names[-1]} another port: launcher init --set {names[-1]}={instead or 'OTHERPORT'}"))
    return checks


def _port_values(stack: Stack, values: Mapping[str, str] | None) -> list[tuple[int, str]]:
    """(port, setting) for every port setting whose value (or default) is a number."""
    pairs = []
    for setting in stack.settings:
        raw = str((values or {}).get(setting.name, setting.default) or "").strip()
        if setting.kind == "port" and raw.isdigit():
            pairs.append((int(raw), setting.name))
    return pairs


def wanted_ports(stack: Stack, engine: ComposeEngine | None, values: dict[str, str] | None,
                 services: Iterable[str] | None = None) -> list[WantedPort]:
    """The host ports the stack publishes on 127.0.0.1.

    From ``docker compose config`` when the env file exists (exact, per service,
    active profiles only), else from the settings of kind "port" in the manifest.
    """
    by_setting: list[WantedPort] = []
    for setting in stack.settings:
        raw = (values or {}).get(setting.name, setting.default)
        if setting.kind == "port" and raw and str(raw).isdigit():
            by_setting.append(WantedPort(int(raw), setting.name, setting.name))
    if engine is None or not stack.compose_env_file.is_file():
        return by_setting
    setting_of = {item.port: item.setting for item in by_setting}
    names = set(services) if services is not None else None
    return [WantedPort(port.port, spec.name, setting_of.get(port.port, ""))
            for spec in engine.model().services if names is None or spec.name in names
            for port in spec.ports if _is_local(port)]


def _is_local(port: PublishedPort) -> bool:
    return port.local and port.protocol == "tcp"


# --------------------------------------------------------------------------- the whole doctor


def run_doctor(stack: Stack, engine: ComposeEngine) -> list[Check]:
    """Every check `launcher doctor` reports; any "fail" is a blocker."""
    checks: list[Check] = []
    try:
        facts = engine.versions()
    except LauncherError as error:
        checks.append(Check("engine", "fail", error.message, error.hint))
        return checks
    checks.append(Check("engine", "ok", f"Docker {facts['engine']} (API {facts['api']}), {facts['os']}"))
    try:
        checks.append(Check("compose", "ok", engine.compose.describe()))
        compose_ok = True
    except LauncherError as error:
        checks.append(Check("compose", "fail", error.message, error.hint))
        compose_ok = False
    checks.append(_memory_check(facts["memory"], facts["cpus"]))
    checks.append(_disk_check(facts["root_dir"]))
    checks.extend(_env_file_checks(stack))
    checks.append(Check("by hand", "ok", engine.by_hand()))
    values = _values_or_none(stack)
    try:
        wanted = wanted_ports(stack, engine if compose_ok else None, values)
    except ConfigError as error:
        checks.append(Check("compose files", "fail", error.message, error.hint))
        wanted = wanted_ports(stack, None, values)
    shared = shared_port_checks(stack, values)
    checks.extend(shared)
    project = engine.containers()
    busy = [w for w in wanted if not port_free(w.port)]
    everyone = engine.all_containers() if busy else []
    # A port two settings share is reported once, as that blocker.
    checks.extend(check for check in check_ports(wanted, project, everyone)
                  if check.name not in {blocker.name for blocker in shared})
    return checks


def _values_or_none(stack: Stack) -> dict[str, str] | None:
    from wizard.core.values import current_values

    try:
        return current_values(stack)
    except LauncherError:
        return None  # not initialised yet: doctor falls back to the manifest defaults


def _memory_check(memory: int, cpus: int) -> Check:
    detail = f"{memory / GIB:.1f} GiB memory, {cpus} CPUs available to Docker"
    if memory and memory < MEMORY_WARN:
        return Check("memory", "warn", detail, "give Docker at least 2 GiB (Docker Desktop: Settings > Resources)")
    return Check("memory", "ok", detail)


def _disk_check(root_dir: str) -> Check:
    try:
        usage = os.statvfs(root_dir)
    except OSError:
        return Check("disk", "ok", f"free space unknown ({root_dir or 'Docker root'} is not on this machine)")
    free = usage.f_bavail * usage.f_frsize
    detail = f"{free / GIB:.1f} GiB free in {root_dir}"
    if free < DISK_FAIL:
        return Check("disk", "fail", detail, "free disk space (`docker system prune` removes unused data)")
    if free < DISK_WARN:
        return Check("disk", "warn", detail, "images and volumes need room: consider `docker system prune`")
    return Check("disk", "ok", detail)


def _env_file_checks(stack: Stack) -> list[Check]:
    missing = [output for output in stack.outputs if not output.path.is_file()]
    if not missing:
        return [Check("env files", "ok", f"{len(stack.outputs)} present")]
    shown = ", ".join(_relative(stack, output.path) for output in missing)
    return [Check("env files", "warn", f"missing: {shown}", "run `launcher init`")]


def _relative(stack: Stack, path: Path) -> str:
    try:
        return str(path.relative_to(stack.root))
    except ValueError:
        return str(path)
