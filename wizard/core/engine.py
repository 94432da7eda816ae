"""The Docker boundary: Compose v2 through its CLI, the Docker SDK for state, health and logs.

One compose project (the stack name) spans every group's compose files, with the
stack's compose env file as ``--env-file``: the command ``Engine.compose_command``
builds is exactly what a user can type by hand. Compose changes things (up, down,
restart); the SDK reads state, with one list call per refresh.

Everything here is reached through an ``Engine`` object so the orchestration
(``launch.py``), the status snapshot and the TUI tests can drive a fake instead.
The ``docker`` package is imported inside the functions that need it, and so
are subprocess, tempfile and concurrent.futures: a no-op ``up`` or a ``status``
reads two small cache files and makes one or two API calls, nothing more.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence

from wizard.core.dockerapi import LightClient
from wizard.core.errors import ConfigError, ContainerGone, DockerUnavailable, PreflightFailed, UsageError
from wizard.core.stack import Stack

if TYPE_CHECKING:
    import subprocess

MIN_COMPOSE = (2, 26, 0)
PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
# A service carrying this label is a job that runs to completion: ready once it exited 0.
ONESHOT_LABEL = "launcher.oneshot"
PULL_POLICIES = ("never", "missing", "always")

# Docker's own defaults when a healthcheck leaves a field out.
HEALTH_DEFAULTS = {"interval": 30.0, "timeout": 30.0, "retries": 3, "start_period": 0.0}
# The least time a service gets to become ready: image pulls, slow disks, first-run init.
WAIT_FLOOR = 60.0
# Well-known container ports get their usual URL scheme; anything else is shown as http.
URL_SCHEMES = {5432: "postgresql", 6379: "redis", 27017: "mongodb", 3306: "mysql", 5672: "amqp"}


# --------------------------------------------------------------------------- compose CLI


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
    key = _fingerprint({"candidates": candidates, "docker_config": os.environ.get("DOCKER_CONFIG", "")},
                       [Path(part) for argv in candidates for part in argv[:1]] + _plugin_paths())
    cached = _cache_read("compose", key)
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
            _cache_write("compose", key, {"argv": list(argv), "version": text})
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


# --------------------------------------------------------------------------- the compose model


@dataclass(frozen=True)
class PublishedPort:
    """A container port published on the host."""

    port: int  # on the host
    target: int  # in the container
    host_ip: str = ""
    protocol: str = "tcp"

    @property
    def local(self) -> bool:
        """Reachable on 127.0.0.1 (bound to loopback or to every address)."""
        return self.host_ip in ("", "0.0.0.0", "127.0.0.1", "::", "[::]")

    def url(self) -> str:
        scheme = URL_SCHEMES.get(self.target, "http") if self.protocol == "tcp" else self.protocol
        return f"{scheme}://127.0.0.1:{self.port}"


@dataclass(frozen=True)
class ServiceSpec:
    """What launch needs to know about one compose service (never its environment)."""

    name: str
    group: str
    oneshot: bool = False
    healthcheck: bool = False
    wait_timeout: float = WAIT_FLOOR
    depends_on: tuple[str, ...] = ()
    ports: tuple[PublishedPort, ...] = ()
    # The image it runs; for a service with `build:` the one compose builds (see images.py).
    image: str = ""
    build: bool = False
    pull_policy: str = ""  # the compose file's own pull_policy ("" when it says nothing)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ServiceSpec":
        values = dict(data)
        values["depends_on"] = tuple(values.get("depends_on", ()))
        values["ports"] = tuple(PublishedPort(**port) for port in values.get("ports", ()))
        return cls(**values)


@dataclass(frozen=True)
class ComposeModel:
    """The services of the active profiles, in compose's order, each with its group.

    ``groups`` maps every service of every profile to its group, so a container of
    a profile not enabled today is still shown in the right group.
    """

    services: tuple[ServiceSpec, ...]
    groups: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def group_of(self, service: str) -> str:
        return self.groups.get(service, "")

    def service(self, name: str) -> ServiceSpec:
        for spec in self.services:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def in_groups(self, groups: Sequence[str]) -> list[ServiceSpec]:
        wanted = set(groups)
        return [spec for spec in self.services if spec.group in wanted]

    @property
    def names(self) -> list[str]:
        return [spec.name for spec in self.services]


def go_duration(text: Any, default: float) -> float:
    """Seconds in a Go duration as compose prints it (``1m30s``, ``500ms``); default if absent."""
    if text in (None, ""):
        return default
    if isinstance(text, (int, float)):
        return float(text) / 1e9  # compose's JSON may carry nanoseconds
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
    parts = re.findall(r"([\d.]+)(h|ms|m|s|us|µs|ns)", str(text))
    if not parts:
        return default
    return sum(float(number) * units[unit] for number, unit in parts)


def wait_timeout(healthcheck: Mapping[str, Any] | None) -> float:
    """How long a service may take to turn healthy: start period + retries x interval, floored."""
    if not healthcheck or healthcheck.get("disable"):
        return WAIT_FLOOR
    interval = go_duration(healthcheck.get("interval"), HEALTH_DEFAULTS["interval"])
    probe = go_duration(healthcheck.get("timeout"), HEALTH_DEFAULTS["timeout"])
    start_period = go_duration(healthcheck.get("start_period"), HEALTH_DEFAULTS["start_period"])
    retries = int(healthcheck.get("retries") or HEALTH_DEFAULTS["retries"])
    # A probe can hang for its own timeout before the next one is scheduled.
    return max(WAIT_FLOOR, start_period + retries * (interval + min(probe, interval)))


def model_from_config(config: Mapping[str, Any], groups_of: Mapping[str, str]) -> ComposeModel:
    """Turn `docker compose config --format json` into ServiceSpecs.

    A service is a one-shot job when it says so (label ``launcher.oneshot=true``),
    or when it does not restart and another service waits for it with
    ``condition: service_completed_successfully``, the Compose way of saying "job".
    """
    services: Mapping[str, Any] = config.get("services") or {}
    awaited_completion = {
        dependency
        for service in services.values()
        for dependency, rule in (service.get("depends_on") or {}).items()
        if (rule or {}).get("condition") == "service_completed_successfully"
    }
    specs = []
    for name, service in services.items():
        labels = service.get("labels") or {}
        if isinstance(labels, list):  # compose normalises to a mapping, but be lenient
            labels = dict(item.split("=", 1) if "=" in item else (item, "") for item in labels)
        label = str(labels.get(ONESHOT_LABEL, "")).lower()
        restart = str(service.get("restart") or "no")
        oneshot = label in ("true", "1", "yes") or (
            label == "" and restart == "no" and name in awaited_completion
        )
        healthcheck = service.get("healthcheck")
        has_check = bool(healthcheck) and not healthcheck.get("disable") and healthcheck.get("test") not in (
            None, ["NONE"])
        specs.append(ServiceSpec(
            name=name,
            group=groups_of.get(name, ""),
            oneshot=oneshot,
            healthcheck=has_check,
            wait_timeout=wait_timeout(healthcheck if has_check else None),
            depends_on=tuple(service.get("depends_on") or ()),
            ports=tuple(_config_ports(service.get("ports") or ())),
            # Compose names an image it builds without an `image:` "<project>-<service>".
            image=str(service.get("image") or (f"{config.get('name')}-{name}" if service.get("build") else "")),
            build=bool(service.get("build")),
            pull_policy=str(service.get("pull_policy") or ""),
        ))
    return ComposeModel(tuple(specs), MappingProxyType(dict(groups_of)))


def _config_ports(ports: Sequence[Mapping[str, Any]]) -> Iterator[PublishedPort]:
    for port in ports:
        published = str(port.get("published") or "")
        if not published:
            continue  # an ephemeral host port: nothing to check up front
        first = published.split("-", 1)[0]
        if first.isdigit():
            yield PublishedPort(port=int(first), target=int(port.get("target") or 0),
                                host_ip=port.get("host_ip") or "", protocol=port.get("protocol") or "tcp")


# --------------------------------------------------------------------------- container state


@dataclass(frozen=True)
class ContainerState:
    """One container as the Docker list call reports it."""

    id: str
    name: str
    service: str
    state: str  # created | running | paused | restarting | removing | exited | dead
    health: str  # healthy | unhealthy | starting | "" (no healthcheck)
    exit_code: int | None
    created: float  # epoch seconds
    uptime: float | None  # seconds running (lower bound: Docker rounds), None when not running
    status: str  # Docker's own words, e.g. "Up 5 minutes (healthy)"
    ports: tuple[PublishedPort, ...] = ()
    project: str = ""


_HEALTH = re.compile(r"\((healthy|unhealthy|health: starting)\)")
_EXITED = re.compile(r"^Exited \((-?\d+)\)")
_UP = re.compile(r"^Up (.+?)(?: \(.*\))?$")


def human_duration(text: str) -> float | None:
    """Seconds (lower bound) in Docker's rounded durations: "Less than a second", "2 hours"."""
    text = text.strip()
    if text.startswith("Less than"):
        return 0.0
    if text == "About a minute":
        return 60.0
    if text == "About an hour":
        return 3600.0
    match = re.match(r"(\d+) (second|minute|hour|day|week|month|year)s?$", text)
    if not match:
        return None
    unit = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800,
            "month": 2592000, "year": 31536000}[match.group(2)]
    return float(int(match.group(1)) * unit)


def container_from_summary(summary: Mapping[str, Any]) -> ContainerState:
    """Parse one entry of ``GET /containers/json``: state, health and exit code from its text."""
    status = summary.get("Status") or ""
    labels = summary.get("Labels") or {}
    health_match = _HEALTH.search(status)
    health = health_match.group(1).replace("health: ", "") if health_match else ""
    exited = _EXITED.match(status)
    up = _UP.match(status)
    names = summary.get("Names") or [""]
    ports = []
    seen = set()
    for port in summary.get("Ports") or ():
        if not port.get("PublicPort"):
            continue
        published = PublishedPort(port=int(port["PublicPort"]), target=int(port.get("PrivatePort") or 0),
                                  host_ip=port.get("IP") or "", protocol=port.get("Type") or "tcp")
        # Docker lists a port once per address family; one URL is enough.
        key = (published.port, published.protocol, published.local)
        if key not in seen:
            seen.add(key)
            ports.append(published)
    return ContainerState(
        id=summary.get("Id", ""),
        name=names[0].lstrip("/"),
        service=labels.get(SERVICE_LABEL, ""),
        state=summary.get("State") or "",
        health=health,
        exit_code=int(exited.group(1)) if exited else None,
        created=float(summary.get("Created") or 0),
        uptime=human_duration(up.group(1)) if up else None,
        status=status,
        ports=tuple(sorted(ports, key=lambda p: p.port)),
        project=labels.get(PROJECT_LABEL, ""),
    )


# --------------------------------------------------------------------------- running compose


class ComposeRun:
    """A compose command running in the background; output kept in a temp file, not a pipe."""

    def __init__(self, argv: Sequence[str], cwd: Path) -> None:
        import subprocess
        import tempfile

        self.argv = list(argv)
        self._output = tempfile.TemporaryFile()
        self._process = subprocess.Popen(self.argv, cwd=cwd, stdin=subprocess.DEVNULL,
                                         stdout=self._output, stderr=subprocess.STDOUT)

    def done(self) -> bool:
        return self._process.poll() is not None

    @property
    def returncode(self) -> int | None:
        return self._process.poll()

    def output(self) -> str:
        self._output.seek(0)
        return self._output.read().decode("utf-8", "replace")

    def cancel(self) -> None:
        """Stop compose if it still runs (Ctrl-C or the TUI closing the generator)."""
        import subprocess

        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


# --------------------------------------------------------------------------- the engine


class Engine:
    """The real Docker engine and Compose v2 for one stack.

    ``client`` (a docker SDK client) and ``compose`` (a ComposeCLI) may be given,
    which tests use; otherwise both are found on first use.
    """

    def __init__(self, stack: Stack, *, profiles: Sequence[str] = (), client: Any = None,
                 compose: ComposeCLI | None = None) -> None:
        self.stack = stack
        self.project = stack.name
        self.profiles = tuple(profiles)
        self._client = client
        self._compose = compose
        self._model: ComposeModel | None = None
        # The answer of the last containers() call: `up` starts each wave from it (see launch.up).
        self.listed: list[ContainerState] | None = None
        # The hot reads (ping, list) skip the SDK's heavy import when the transport is plain.
        self._light = None if client is not None else LightClient.for_environment()

    # -- connections -----------------------------------------------------------

    @property
    def client(self) -> Any:
        """The Docker SDK client; connecting raises DockerUnavailable with the reason in one line."""
        if self._client is None:
            import docker
            import docker.errors

            try:
                self._client = docker.from_env(timeout=30)
            except docker.errors.DockerException as exc:
                raise engine_unreachable(exc) from None
        return self._client

    @property
    def image_store(self) -> Any:
        """Local images: what is here, pulls, save and load (``wizard.core.imagestore``)."""
        from wizard.core.imagestore import ImageStore

        return ImageStore(light=self._light, client=lambda: self.client)

    def ping(self) -> None:
        """Make sure the engine answers; DockerUnavailable (one line) when it does not."""
        if self._light is not None:
            self._light.ping()
        else:
            self._call(self.client.ping)

    @property
    def compose(self) -> ComposeCLI:
        if self._compose is None:
            self._compose = find_compose()
        return self._compose

    def versions(self) -> dict[str, Any]:
        """Engine version, API version, memory, CPUs and Docker's root folder (for doctor)."""
        info = self._call(self.client.info)
        version = self._call(self.client.version)
        return {
            "engine": version.get("Version", "?"),
            "api": version.get("ApiVersion", "?"),
            "memory": int(info.get("MemTotal") or 0),
            "cpus": int(info.get("NCPU") or 0),
            "root_dir": info.get("DockerRootDir") or "",
            "os": info.get("OperatingSystem") or "",
        }

    def _call(self, function, *args, **kwargs):
        import docker.errors
        import requests.exceptions

        try:
            return function(*args, **kwargs)
        except (requests.exceptions.ConnectionError, docker.errors.DockerException) as exc:
            if isinstance(exc, docker.errors.APIError):
                raise
            raise engine_unreachable(exc) from None

    # -- the compose command line ------------------------------------------------

    def compose_files(self) -> list[Path]:
        files: list[Path] = []
        for group in self.stack.groups:
            files.extend(path for path in group.compose_files if path not in files)
        return files

    def compose_command(self, *args: str, files: Sequence[Path] | None = None,
                        profiles: Sequence[str] | None = None, env_file: bool = True) -> list[str]:
        """The full compose command line: the one project over every group file."""
        argv = [*self.compose.argv, "--project-name", self.project]
        if env_file:
            argv += ["--env-file", str(self.stack.compose_env_file)]
        for path in files if files is not None else self.compose_files():
            argv += ["-f", str(path)]
        for profile in self.profiles if profiles is None else profiles:
            argv += ["--profile", profile]
        return argv + list(args)

    def by_hand(self) -> str:
        """The same compose project as a command a user can type in the stack's folder."""
        import shlex

        def shown(path: Path) -> str:
            try:
                return str(path.relative_to(self.stack.root))
            except ValueError:
                return str(path)

        argv = ["docker", "compose", "-p", self.project, "--env-file", shown(self.stack.compose_env_file)]
        for path in self.compose_files():
            argv += ["-f", shown(path)]
        for profile in self.profiles:
            argv += ["--profile", profile]
        return shlex.join(argv)

    def start_by_hand(self, service: str) -> str:
        """The command that starts one service by hand, to repeat what failed with its own words."""
        return f"{self.by_hand()} up {service}"

    def logs_by_hand(self, service: str) -> str:
        """The command that shows a failed service's logs."""
        return f"launcher logs {service}"

    def run_compose(self, *args: str, check: bool = True, **options: Any) -> subprocess.CompletedProcess[str]:
        """Run compose to completion; a failure becomes a ConfigError with compose's own words."""
        import subprocess

        argv = self.compose_command(*args, **options)
        result = subprocess.run(argv, cwd=self.stack.root, capture_output=True, text=True,
                                stdin=subprocess.DEVNULL)
        if check and result.returncode != 0:
            raise compose_failed(args[0] if args else "compose", result.stderr or result.stdout)
        return result

    # -- the model -----------------------------------------------------------------

    def model(self) -> ComposeModel:
        """Services of the active profiles with their group, healthcheck timing and ports.

        Computed from `docker compose config` (once over every file, plus once per
        group to learn which file declares which service, in parallel) and cached on
        disk keyed by the files' modification times and sizes: the cache holds no
        environment values, so no secret.
        """
        if self._model is not None:
            return self._model
        inputs = [self.stack.manifest, self.stack.compose_env_file, *self.compose_files()]
        # "model": the cached shape's version, so an older cache without images is not reused.
        key = _fingerprint({"model": 2, "compose": list(self.compose.argv), "version": self.compose.version,
                            "project": self.project, "profiles": list(self.profiles),
                            "environ": self._environment_overrides()}, inputs)
        cache_name = "model-" + hashlib.sha256(str(self.stack.root).encode()).hexdigest()[:16]
        cached = _cache_read(cache_name, key)
        if cached is not None:
            self._model = ComposeModel(tuple(ServiceSpec.from_dict(s) for s in cached["services"]),
                                       MappingProxyType(cached["groups"]))
            return self._model
        if not self.stack.compose_env_file.is_file():
            raise PreflightFailed(f"env file {self.stack.compose_env_file.name} does not exist yet",
                                  "run `launcher init` first")

        def merged() -> dict[str, Any]:
            return json.loads(self.run_compose("config", "--format", "json").stdout)

        def declared_in(group) -> list[str]:
            # Without consistency checks a group file may name services of other groups.
            result = self.run_compose("config", "--format", "json", "--no-consistency", "--no-interpolate",
                                      files=list(group.compose_files), profiles=["*"], env_file=False)
            return list(json.loads(result.stdout).get("services") or {})

        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(8, len(self.stack.groups) + 1)) as pool:
            merged_future = pool.submit(merged)
            per_group = [(group.name, pool.submit(declared_in, group)) for group in self.stack.groups]
            config = merged_future.result()
            groups_of: dict[str, str] = {}
            for name, future in per_group:
                for service in future.result():
                    groups_of.setdefault(service, name)
        self._model = model_from_config(config, groups_of)
        _cache_write(cache_name, key, {"services": [spec.to_dict() for spec in self._model.services],
                                       "groups": dict(self._model.groups)})
        return self._model

    def _environment_overrides(self) -> list[str]:
        # Shell variables override the env file during interpolation; they belong in the key.
        names = sorted(name for name in os.environ if name.startswith(("COMPOSE_", "DOCKER_")))
        env_file = self.stack.compose_env_file
        if env_file.is_file():
            for line in env_file.read_text(encoding="utf-8", errors="replace").splitlines():
                name = line.split("=", 1)[0].strip().removeprefix("export ").strip()
                if name in os.environ:
                    names.append(name)
        return [hashlib.sha256(f"{name}={os.environ[name]}".encode()).hexdigest()[:16] for name in names]

    # -- state -------------------------------------------------------------------------

    def containers(self) -> list[ContainerState]:
        """Every container of the project, in one API list call."""
        label = f"{PROJECT_LABEL}={self.project}"
        if self._light is not None:
            summaries = self._light.containers({"label": [label]})
        else:
            summaries = self._call(self.client.api.containers, all=True, filters={"label": label})
        self.listed = [container_from_summary(summary) for summary in summaries]
        return self.listed

    def all_containers(self) -> list[ContainerState]:
        """Every container on the engine (to name who holds a port), in one API list call."""
        summaries = (self._light.containers() if self._light is not None
                     else self._call(self.client.api.containers, all=True))
        return [container_from_summary(summary) for summary in summaries]

    def restart_counts(self, container_ids: Sequence[str]) -> dict[str, int]:
        """Docker's RestartCount per container: one inspect each, so only when asked for.

        A container removed since it was listed (a `down` running meanwhile) is left out.
        """
        import docker.errors

        counts = {}
        for cid in container_ids:
            try:
                details = self._call(self.client.api.inspect_container, cid)
            except docker.errors.NotFound:
                continue
            counts[cid] = int(details.get("RestartCount") or 0)
        return counts

    def failure_details(self, container_id: str, tail: int = 40) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The last health probe outputs and the last ``tail`` log lines of a container."""
        import docker.errors

        try:
            details = self._call(self.client.api.inspect_container, container_id)
            raw_logs = self._call(self.client.api.logs, container_id, tail=tail, timestamps=False)
        except docker.errors.NotFound:
            return (), ()
        health = ((details.get("State") or {}).get("Health") or {}).get("Log") or []
        probes = tuple(f"exit {entry.get('ExitCode')}: {(entry.get('Output') or '').strip()}"
                       for entry in health[-5:])
        lines = raw_logs.decode("utf-8", "replace").splitlines()[-tail:]
        return probes, tuple(lines)

    # -- actions -----------------------------------------------------------------------

    def start(self, services: Sequence[str], pull: str = "missing") -> ComposeRun:
        """`compose up -d --no-deps` for these services, in the background.

        ``--no-deps``: the launcher orders groups itself; compose still orders the
        services it is given among themselves.
        """
        if pull not in PULL_POLICIES:
            raise UsageError(f"unknown pull policy {pull!r}", f"use one of: {', '.join(PULL_POLICIES)}")
        argv = self.compose_command("up", "--detach", "--no-deps", "--pull", pull, *services)
        return ComposeRun(argv, self.stack.root)

    def restart(self, services: Sequence[str]) -> None:
        self.run_compose("restart", *services)

    def down(self, volumes: bool = False) -> str:
        """Stop and remove the project's containers and networks; volumes only when asked."""
        # Every profile, so services of profiles not enabled today go too.
        args = ["down", "--remove-orphans"] + (["--volumes"] if volumes else [])
        result = self.run_compose(*args, profiles=["*"])
        return (result.stderr or result.stdout).strip()

    def logs(self, container_id: str, *, follow: bool = False, tail: int | str = "all") -> Iterator[bytes]:
        """A container's log output as it arrives (stdout and stderr, as Docker stores them)."""
        import docker.errors

        try:
            stream = self._call(self.client.api.logs, container_id, stream=True, follow=follow, tail=tail)
        except docker.errors.NotFound:
            raise container_gone(container_id) from None
        yield from stream

    def has_program(self, container_id: str, program: str) -> bool:
        """Whether a running container has ``program`` on its PATH (to choose bash or sh)."""
        import docker.errors

        try:
            result = self._call(self.client.containers.get, container_id).exec_run(
                ["sh", "-c", f"command -v {program}"], stdout=True, stderr=False)
        except docker.errors.NotFound:
            raise container_gone(container_id) from None
        return result.exit_code == 0

    def exec_interactive(self, service: str, command: Sequence[str]) -> int:
        """Hand the terminal to `compose exec`, which deals with the TTY; its exit code."""
        import subprocess

        argv = self.compose_command("exec", service, *command, profiles=["*"])
        return subprocess.call(argv, cwd=self.stack.root)


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


# --------------------------------------------------------------------------- small disk cache


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "launcher"


def _fingerprint(data: Any, paths: Sequence[Path]) -> str:
    stats = []
    for path in paths:
        try:
            stat = path.stat()
            stats.append([str(path), stat.st_mtime_ns, stat.st_size])
        except OSError:
            stats.append([str(path), None, None])
    blob = json.dumps({"data": data, "files": stats}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _cache_read(name: str, key: str) -> dict[str, Any] | None:
    if os.environ.get("LAUNCHER_NO_CACHE"):
        return None
    try:
        data = json.loads((_cache_dir() / f"{name}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get("value") if data.get("key") == key else None


def _cache_write(name: str, key: str, value: Any) -> None:
    """Best effort, atomic, 0600: a cache that cannot be written only costs time."""
    import tempfile

    folder = _cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump({"key": key, "written": time.time(), "value": value}, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, folder / f"{name}.json")
    except OSError:
        pass


__all__ = [
    "ComposeCLI", "ComposeModel", "ComposeRun", "ContainerState", "Engine", "PublishedPort", "ServiceSpec",
    "container_from_summary", "find_compose", "model_from_config", "parse_version", "wait_timeout",
]
