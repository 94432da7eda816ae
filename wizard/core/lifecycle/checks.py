"""The checks `doctor` and `up` share, each one a ``PreflightCheck`` ("ok", "warn" or "fail").

`launcher doctor` shows every one of them (``doctor.run_doctor``); `up`'s preflight
runs the env files and the port checks and stops on a blocker; the wizard's live
port check reads the same port findings (``find_ports``). A busy port names who
holds it (a container by name when it is one) and suggests a free port instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from wizard.core.docker.protocol import Engine
from wizard.core.docker.containers import ContainerState
from wizard.core.docker.model import PublishedPort
from wizard.core.support.events import PreflightCheck
from wizard.core.manifest.kinds.settings import setting_kind
from wizard.core.manifest.stack import Stack
from wizard.core.support.files import shown_path
from wizard.core.support.ports import port_free

GIB = 1024 ** 3
MEMORY_WARN = 2 * GIB
DISK_WARN = 5 * GIB
DISK_FAIL = 1 * GIB


# --------------------------------------------------------------------------- the machine


def memory_check(memory: int, cpus: int) -> PreflightCheck:
    detail = f"{memory / GIB:.1f} GiB memory, {cpus} CPUs available to the engine"
    if memory and memory < MEMORY_WARN:
        return PreflightCheck("memory", "warn", detail,
                              "give Docker at least 2 GiB (Docker Desktop: Settings > Resources)")
    return PreflightCheck("memory", "ok", detail)


def disk_check(root_dir: str, remote_host: str = "") -> PreflightCheck:
    if remote_host:  # a folder of that name here, if any, is another disk
        return PreflightCheck("disk", "ok", f"free space unknown ({root_dir or 'Docker root'} is on {remote_host})")
    try:
        usage = os.statvfs(root_dir)
    except OSError:
        return PreflightCheck("disk", "ok", f"free space unknown ({root_dir or 'Docker root'} is not on this machine)")
    free = usage.f_bavail * usage.f_frsize
    detail = f"{free / GIB:.1f} GiB free in {root_dir}"
    if free < DISK_FAIL:
        return PreflightCheck("disk", "fail", detail, "free disk space (`docker system prune` removes unused data)")
    if free < DISK_WARN:
        return PreflightCheck("disk", "warn", detail, "images and volumes need room: consider `docker system prune`")
    return PreflightCheck("disk", "ok", detail)


def local_paths_check(config: Mapping[str, Any], remote_host: str, root: Path) -> PreflightCheck | None:
    """What compose names by a folder of this machine, for an engine on ``remote_host``: a bind
    mount is read from that machine's disk (a blocker unless the same path is there), a build
    context is sent from here at each build (worth knowing: it can be large). None: neither."""
    binds, builds = [], []
    for name, service in sorted((config.get("services") or {}).items()):
        build = service.get("build")
        context = build.get("context", "") if isinstance(build, Mapping) else ""
        if context and "://" not in context:  # a git or http context is fetched by the engine itself
            builds.append(f"{name} ({shown_path(Path(context), root, dot=True)})")
        for volume in service.get("volumes") or ():
            if isinstance(volume, Mapping) and volume.get("type") == "bind":
                binds.append(f"{name} ({shown_path(Path(str(volume.get('source', ''))), root, dot=True)})")
    if binds:
        return PreflightCheck("local paths", "warn",
                              f"the engine runs on {remote_host}, which mounts these from its own disk: "
                              f"{', '.join(binds)}",
                              f"copy those folders to the same paths on {remote_host}, or use a local engine")
    if builds:
        return PreflightCheck("local paths", "ok",
                              f"built from folders here, sent to {remote_host} at each build: {', '.join(builds)}")
    return None


# --------------------------------------------------------------------------- env files


def missing_env_files(stack: Stack) -> str:
    """The stack's env files not written yet, as one comma-separated list ("" when all are there)."""
    return ", ".join(shown_path(output.path, stack.root) for output in stack.outputs if not output.path.is_file())


def env_files_check(stack: Stack, *, missing_status: str = "warn") -> PreflightCheck:
    """Whether every output file exists: a missing one is worth knowing for doctor, a blocker for up."""
    missing = missing_env_files(stack)
    if not missing:
        return PreflightCheck("env files", "ok", f"{len(stack.outputs)} present")
    return PreflightCheck("env files", missing_status, f"missing: {missing}", "run `launcher init`")


# --------------------------------------------------------------------------- ports


@dataclass(frozen=True)
class WantedPort:
    """A host port the stack will publish, and who wants it (a service or a setting)."""

    port: int
    owner: str
    setting: str = ""  # the manifest setting that chooses this port, when one does


@dataclass(frozen=True)
class PortFinding:
    """What one wanted port looks like right now: "ours" (held by this stack), "free" or "busy"."""

    wanted: WantedPort
    state: str
    holder: str = ""  # ours: our container's name; busy: who holds it
    instead: int | None = None  # busy: a free port to use instead


def free_port_near(port: int, avoid: Iterable[int] = (), free: Callable[[int], bool] = port_free) -> int | None:
    """The first free port above ``port`` not in ``avoid`` (None if none in the next 1000)."""
    avoided = set(avoid)
    for candidate in range(port + 1, min(port + 1000, 65536)):
        if candidate not in avoided and free(candidate):
            return candidate
    return None


def port_holder(port: int, containers: Sequence[ContainerState], *, local: bool = True) -> str:
    """Who holds a host port: a container by name, else a local process when we may look."""
    for container in containers:
        if container.state == "running" and any(p.port == port for p in container.ports):
            return f"container {container.name}"
    process = _listening_process(port) if local else ""
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


def find_ports(wanted: Sequence[WantedPort], project: Sequence[ContainerState],
               everyone: Sequence[ContainerState] | None = None, *, remote_host: str = "") -> dict[int, PortFinding]:
    """One finding per wanted port, by port (the lowest first; a port wanted twice is found once).

    ``everyone`` is only needed when a port is busy, to name the container holding it. With
    ``remote_host`` the engine runs on that machine, where this one's ports say nothing: a port
    is busy there when another of its containers publishes it (``everyone`` is then needed),
    and other programs on that machine cannot be seen from here.
    """
    ours = {p.port: c.name for c in project if c.state in ("running", "restarting", "paused") for p in c.ports}
    free = port_free
    if remote_host:
        published = {p.port for c in everyone or () if c.state == "running" for p in c.ports}

        def free(port: int) -> bool:
            return port not in published
    all_wanted = [w.port for w in wanted]
    found: dict[int, PortFinding] = {}
    for item in sorted(wanted, key=lambda w: w.port):
        if item.port in found:
            continue
        if item.port in ours:
            found[item.port] = PortFinding(item, "ours", ours[item.port])
        elif free(item.port):
            found[item.port] = PortFinding(item, "free")
        else:
            found[item.port] = PortFinding(item, "busy", port_holder(item.port, everyone or (), local=not remote_host),
                                           free_port_near(item.port, all_wanted, free))
    return found


def check_ports(wanted: Sequence[WantedPort], project: Sequence[ContainerState],
                everyone: Sequence[ContainerState] | None = None, *, remote_host: str = "") -> list[PreflightCheck]:
    """One check per wanted port: free, held by this stack already (fine), or busy (a blocker)."""
    checks = []
    for port, finding in find_ports(wanted, project, everyone, remote_host=remote_host).items():
        owner, name = finding.wanted.owner, f"port {port}"
        if finding.state == "ours":
            checks.append(PreflightCheck(name, "ok", f"{owner}: in use by this stack ({finding.holder})"))
        elif finding.state == "free" and remote_host:
            checks.append(PreflightCheck(name, "ok", f"{owner}: no other container publishes it on {remote_host} "
                                                     "(other programs there cannot be checked from here)"))
        elif finding.state == "free":
            checks.append(PreflightCheck(name, "ok", f"{owner}: free on 127.0.0.1"))
        else:
            checks.append(PreflightCheck(name, "fail", f"{owner}: {remote_host or '127.0.0.1'}:{port} is held by "
                                                       f"{finding.holder}", _busy_hint(finding)))
    return checks


def published_port_checks(engine: Engine, wanted: Sequence[WantedPort]) -> list[PreflightCheck]:
    """``check_ports`` against the engine's containers; every container is listed only when a port is busy
    (always for an engine on another machine: there they are all it can see)."""
    project = engine.containers()
    if engine.remote_host:
        return check_ports(wanted, project, engine.all_containers(), remote_host=engine.remote_host)
    busy = [item for item in wanted if not port_free(item.port)]
    return check_ports(wanted, project, engine.all_containers() if busy else [])


def _busy_hint(finding: PortFinding) -> str:
    holder, instead = finding.holder, finding.instead
    stop = f"stop {holder.split(' ', 1)[1]}" if holder.startswith("container") else "stop it"
    if instead is None:
        return stop
    if finding.wanted.setting:
        return f"{stop}, or use port {instead} instead: launcher init --set {finding.wanted.setting}={instead}"
    return f"{stop}, or publish it on port {instead} instead"


def shared_ports(stack: Stack, values: Mapping[str, str] | None) -> dict[int, list[str]]:
    """Ports that two or more of the stack's own port settings chose, each with those settings.

    Each such port is free as far as the machine can tell, yet compose fails
    the second time it publishes it: only the settings side by side show it.
    """
    return _shared(_port_values(stack, values))


def _shared(chosen: Sequence[tuple[int, str]]) -> dict[int, list[str]]:
    owners: dict[int, list[str]] = {}
    for port, name in chosen:
        owners.setdefault(port, []).append(name)
    return {port: names for port, names in owners.items() if len(names) > 1}


def shared_port_checks(stack: Stack, values: Mapping[str, str] | None) -> list[PreflightCheck]:
    """One blocker per port that two of the stack's settings chose, naming a free port for one of them."""
    chosen = _port_values(stack, values)
    shared = _shared(chosen)
    taken = [port for port, _ in chosen]
    checks = []
    for port, names in sorted(shared.items()):
        instead = free_port_near(port, taken)
        if instead:
            taken.append(instead)  # two shared ports never get the same suggestion
        both = "both" if len(names) == 2 else "all"
        named = ", ".join(names[:-1]) + f" and {names[-1]}"
        checks.append(PreflightCheck(f"port {port}", "fail", f"settings {named} {both} use port {port}",
                                     f"give {names[-1]} another port: launcher init --set "
                                     f"{names[-1]}={instead or 'OTHERPORT'}"))
    return checks


def _port_values(stack: Stack, values: Mapping[str, str] | None) -> list[tuple[int, str]]:
    """(port, setting) for every port setting whose value (or default) is a number."""
    pairs = []
    for setting in stack.settings:
        raw = str((values or {}).get(setting.name, setting.default) or "").strip()
        if setting_kind(setting).is_port and raw.isdigit():
            pairs.append((int(raw), setting.name))
    return pairs


def wanted_ports(stack: Stack, engine: Engine | None, values: dict[str, str] | None,
                 services: Iterable[str] | None = None) -> list[WantedPort]:
    """The host ports the stack publishes on 127.0.0.1.

    From ``docker compose config`` when the env file exists (exact, per service,
    active profiles only), else from the settings of kind "port" in the manifest.
    """
    by_setting = [WantedPort(port, name, name) for port, name in _port_values(stack, values)]
    if engine is None or not stack.compose_env_file.is_file():
        return by_setting
    setting_of = {item.port: item.setting for item in by_setting}
    names = set(services) if services is not None else None
    return [WantedPort(port.port, spec.name, setting_of.get(port.port, ""))
            for spec in engine.model().services if names is None or spec.name in names
            for port in spec.ports if _is_local(port)]


def _is_local(port: PublishedPort) -> bool:
    return port.local and port.protocol == "tcp"
