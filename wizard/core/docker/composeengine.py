"""The Docker boundary: Compose v2 through its CLI, the Docker SDK for state, health and logs.

One compose project (the instance name, `stack.project`) spans every group's compose files, with the
stack's compose env file as ``--env-file``: the command ``ComposeEngine.compose_command``
builds is exactly what a user can type by hand. Compose changes things (up, down,
restart); the SDK reads state, with one list call per refresh.

Everything here is reached through a ``ComposeEngine`` object so the orchestration
(``launch.py``), the status snapshot and the TUI tests can drive a fake instead.
The ``docker`` package is imported inside the functions that need it, and so
are subprocess, tempfile and concurrent.futures: a no-op ``up`` or a ``status``
reads two small cache files and makes one or two API calls, nothing more.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from wizard.core.support.cache import cache_read, cache_write, content_fingerprint
from wizard.core.docker.composecli import ComposeCLI, find_compose
from wizard.core.docker.composerun import PULL_POLICIES, ComposeRun
from wizard.core.docker.confighash import Wanted, read_texts, shell_overrides, wanted
from wizard.core.docker.containers import PROJECT_LABEL, ContainerState, container_from_summary, health_of
from wizard.core.docker.connection import EngineConnection
from wizard.core.docker.engineinfo import NEVER_PROBED, HealthFromInspect
from wizard.core.docker.failures import compose_failed, container_gone
from wizard.core.docker.model import ComposeModel, ServiceSpec, model_from_config
from wizard.core.docker.uprecord import record_up
# The switch `launcher upgrade` writes (`by_hand` names it too) and its journal, present while an
# upgrade runs: `up` refuses to start a half-moved stack.
from wizard.core.docker.upgradestate import UPGRADE_JOURNAL, UPGRADE_OVERRIDE, read_switch
from wizard.core.docker.starts import EventWatcher, StartedByAPI, events_filter, start_containers
from wizard.core.support.errors import DockerUnavailable, PreflightFailed, UsageError
from wizard.core.manifest.stack import Stack
from wizard.core.support.files import shown_path


if TYPE_CHECKING:
    import subprocess


class ComposeEngine(EngineConnection):
    """The real Docker engine and Compose v2 for one stack.

    ``client`` (a docker SDK client) and ``compose`` (a ComposeCLI) may be given,
    which tests use; otherwise both are found on first use.
    """

    # The label that marks the project's containers (the Swarm target labels its own).
    project_label = PROJECT_LABEL

    def __init__(self, stack: Stack, *, profiles: Sequence[str] = (), client: Any = None,
                 compose: ComposeCLI | None = None) -> None:
        self.stack = stack
        self.project = stack.project
        self.profiles = tuple(profiles)
        self._client = client
        self._compose = compose
        self._model: ComposeModel | None = None
        self._resolved: tuple[str, dict[str, Any]] | None = None  # (model key, config)
        # The answer of the last containers() call: `up` starts each wave from it (see launch.up).
        self.listed: list[ContainerState] | None = None
        if client is not None:
            self._light = None  # a given client is the one to use (tests)
        self._health = HealthFromInspect(lambda: self._light, lambda: self.client)

    # -- connections -----------------------------------------------------------

    @property
    def image_store(self) -> Any:
        """Local images: what is here, pulls, save and load (``wizard.core.docker.imagestore``)."""
        from wizard.core.docker.imagestore import ImageStore

        return ImageStore(light=self._light, client=lambda: self.client)

    @property
    def compose(self) -> ComposeCLI:
        if self._compose is None:
            self._compose = find_compose()
        return self._compose

    # -- the compose command line ------------------------------------------------

    def compose_files(self) -> list[Path]:
        """Every group's files, then the override `launcher upgrade` writes (it switches volumes), if any."""
        files: list[Path] = []
        for group in self.stack.groups:
            files.extend(path for path in group.compose_files if path not in files)
        override = self.stack.root / UPGRADE_OVERRIDE
        if override.is_file():
            read_switch(self.stack.root)  # compose would take any override: only the launcher's own passes
            files.append(override)
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

        argv = ["docker", "compose", "-p", self.project, "--env-file", shown_path(self.stack.compose_env_file, self.stack.root)]
        for path in self.compose_files():
            argv += ["-f", shown_path(path, self.stack.root)]
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
                                stdin=subprocess.DEVNULL, env=self.endpoint.environ())
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
        key = self._model_key()
        cache_name = "model-" + hashlib.sha256(str(self.stack.root).encode()).hexdigest()[:16]
        cached = cache_read(cache_name, key)
        if cached is not None:
            self._model = ComposeModel(tuple(ServiceSpec.from_dict(s) for s in cached["services"]),
                                       MappingProxyType(cached["groups"]))
            return self._model
        if not self.stack.compose_env_file.is_file():
            raise PreflightFailed(f"env file {self.stack.compose_env_file.name} does not exist yet",
                                  "run `launcher init` first")

        def merged() -> dict[str, Any]:
            return self.resolved_config()

        def declared_in(group) -> dict[str, Any]:
            # Without consistency checks a group file may name services of other groups. Not interpolated,
            # compose keeps each service's `env_file:` (the merged config drops it): the hashes' key reads them.
            result = self.run_compose("config", "--format", "json", "--no-consistency", "--no-interpolate",
                                      files=list(group.compose_files), profiles=["*"], env_file=False)
            return dict(json.loads(result.stdout).get("services") or {})

        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(8, len(self.stack.groups) + 1)) as pool:
            merged_future = pool.submit(merged)
            per_group = [(group.name, pool.submit(declared_in, group)) for group in self.stack.groups]
            config = merged_future.result()
            groups_of: dict[str, str] = {}
            env_files_of: dict[str, list[str]] = {}
            for name, future in per_group:
                for service, declared in future.result().items():
                    groups_of.setdefault(service, name)
                    env_files_of.setdefault(service, []).extend(str(entry.get("path") if isinstance(entry, dict)
                                                                    else entry) for entry in declared.get("env_file") or ())
        self._model = model_from_config(config, groups_of, env_files_of)
        cache_write(cache_name, key, {"services": [spec.to_dict() for spec in self._model.services],
                                       "groups": dict(self._model.groups)})
        return self._model

    def _model_key(self) -> str:
        """What the model depends on: the files' content, compose, profiles, the shell variables they name."""
        inputs = [self.stack.manifest, self.stack.compose_env_file, *self.compose_files()]
        # "model": the cached shape's version, so an older cache without a field is not reused.
        return content_fingerprint({"model": 6, "compose": list(self.compose.argv), "version": self.compose.version,
                                    "project": self.project, "profiles": list(self.profiles),
                                    "environ": shell_overrides(read_texts(inputs[1:]))}, inputs)

    def wanted(self) -> Wanted:
        """Compose's config hash of each service as the files say now (``wizard.core.docker.confighash``)."""
        return wanted(self, self.model())

    def resolved_config(self) -> dict[str, Any]:
        """Compose's own resolved config of the active profiles, values interpolated (secrets included)."""
        key = self._model_key()
        if self._resolved is None or self._resolved[0] != key:
            self._resolved = (key, json.loads(self.run_compose("config", "--format", "json").stdout))
        return self._resolved[1]

    def record_up(self, started: Sequence[str] = (), current: Sequence[str] = ()) -> None:
        """Record the config of what runs after an `up` that started ``started`` (uprecord.py)."""
        record_up(self.stack.root, self._model_key(), self.resolved_config, started, current)

    # -- state -------------------------------------------------------------------------

    def containers(self) -> list[ContainerState]:
        """Every container of the project, in one API list call (on Podman, health from inspect: see below)."""
        summaries = self._project_summaries()
        self.listed = [container_from_summary(summary, self._health.of(summary)) for summary in summaries]
        return self.listed

    def _project_summaries(self) -> list[dict[str, Any]]:
        """The list call's raw entries for the containers labelled with this project (one call)."""
        label = f"{self.project_label}={self.project}"
        if self._light is not None:
            return self._light.containers({"label": [label]})
        return self._call(self.client.api.containers, all=True, filters={"label": label})

    def has_volume(self, name: str) -> bool:
        """Whether the engine has a volume of exactly this name (one list call)."""
        if self._light is not None:
            answer = self._light.get("/volumes", {"filters": json.dumps({"name": [name]})})
        else:
            answer = self._call(self.client.api.volumes, filters={"name": name})
        # The name filter matches parts of names too.
        return any(volume.get("Name") == name for volume in (answer or {}).get("Volumes") or ())

    def pgdata_majors(self, image: str, volume: str) -> tuple[int | None, int]:
        """The major of the Postgres data in ``volume`` (None: no cluster yet) and of ``image``'s server."""
        from wizard.core.docker.pgdata import read_majors

        return read_majors(self.client, image, volume)

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
        """The last health probe outputs and the last ``tail`` log lines of a container (none for
        a Swarm task that has no container yet: its id is empty)."""
        import docker.errors

        if not container_id:
            return (), ()
        try:
            details = self._call(self.client.api.inspect_container, container_id)
            raw_logs = self._call(self.client.api.logs, container_id, tail=tail, timestamps=False)
        except docker.errors.NotFound:
            return (), ()
        health = ((details.get("State") or {}).get("Health") or {}).get("Log") or []
        probes = tuple(f"exit {entry.get('ExitCode')}: {(entry.get('Output') or '').strip()}"
                       for entry in health[-5:])
        if not probes and health_of(details) == "starting" and self._health.is_podman():
            probes = (NEVER_PROBED,)
        lines = raw_logs.decode("utf-8", "replace").splitlines()[-tail:]
        return probes, tuple(lines)

    # -- actions -----------------------------------------------------------------------

    def start(self, services: Sequence[str], pull: str = "missing") -> ComposeRun:
        """`compose up -d --no-deps` for these services, in the background.

        ``--no-deps``: the launcher orders groups itself; compose still orders the
        services it is given among themselves.
        """
        _check_pull(pull)
        argv = self.compose_command("up", "--detach", "--no-deps", "--pull", pull, *services)
        return ComposeRun(argv, self.stack.root, self.endpoint.environ())

    def create(self, services: Sequence[str], pull: str = "missing") -> bool:
        """`compose up --no-start`: these services' containers made (or recreated, scaled: compose
        converges them), none started. True when compose did it all. `up` calls it for its first
        wave (``wizard.core.lifecycle.createahead``); when it fails, each wave's `compose up` says why.
        """
        return self.run_compose(*self._create_args(services, pull), check=False).returncode == 0

    def create_in_background(self, services: Sequence[str], pull: str = "missing") -> ComposeRun:
        """``create``, running in the background: `up` makes the later waves' containers while the first starts."""
        return ComposeRun(self.compose_command(*self._create_args(services, pull)), self.stack.root,
                          self.endpoint.environ())

    def _create_args(self, services: Sequence[str], pull: str) -> list[str]:
        # No --no-deps: it drops the `com.docker.compose.depends_on` label compose's `up` writes. The
        # dependencies (earlier waves, converged by then) are left as they are; --no-start starts nothing.
        # Except on Podman: there compose's up of a later wave recreates the dependency that is starting
        # (its answers differ from what compose hashed), so the later waves are made with --no-deps and
        # carry an empty depends_on label, as they did before.
        _check_pull(pull)
        no_deps = ["--no-deps"] if self._health.is_podman() else []
        return ["up", "--no-start", *no_deps, "--pull", pull, *services]

    def start_created(self, services: Sequence[str]) -> StartedByAPI:
        """Start these services' containers through the API, all at once (one list call, one start each)."""
        wanted = set(services)
        if self._light is not None:
            light = self._light

            def start(container_id: str) -> None:
                light.post(f"/containers/{container_id}/start")
        else:
            def start(container_id: str) -> None:
                self._call(self.client.api.start, container_id)
        return start_containers([c for c in self.containers() if c.service in wanted], start)

    def remove_unstarted(self, services: Sequence[str]) -> None:
        """Remove these services' containers that were created but never started, with their anonymous volumes.

        Best effort: it runs while `up` is stopping short already, and that reason is
        the one to report, not a second failure here.
        """
        wanted = set(services)
        try:
            for container in self.containers():
                if container.service in wanted and container.state == "created":
                    if self._light is not None:
                        self._light.delete(f"/containers/{container.id}", {"v": "1"})
                    else:
                        self._call(self.client.api.remove_container, container.id, v=True)
        except Exception:  # noqa: BLE001 - see above: never hide why `up` stopped
            pass

    def watch(self) -> EventWatcher | None:
        """The project's container events, to wake `up`'s wait (None without a plain transport: it ticks)."""
        if self._light is None:
            return None
        try:
            response, close = self._light.stream("/events", events_filter(self.project))
        except DockerUnavailable:
            return None
        return EventWatcher(response, close)

    def restart(self, services: Sequence[str]) -> None:
        self.run_compose("restart", *services)

    def stop(self, services: Sequence[str]) -> None:
        """`compose stop`: what compose does to a `restart: true` dependant before it recreates its dependency."""
        self.run_compose("stop", *services)

    def down(self, volumes: bool = False) -> str:
        """Stop and remove the project's containers and networks; volumes only when asked."""
        # Every profile, so services of profiles not enabled today go too.
        args = ["down", "--remove-orphans"] + (["--volumes"] if volumes else [])
        result = self.run_compose(*args, profiles=["*"])
        if volumes:
            self._remove_volumes_compose_keeps()
        return (result.stderr or result.stdout).strip()

    def _remove_volumes_compose_keeps(self) -> None:
        """Compose deletes only the volumes its files declare, never an external one: the volumes an
        upgrade wrote (external in its override) and the old ones it kept still carry the project's
        label. They go too, and the override with them, since it would name volumes that are gone
        (and an interrupted upgrade's journal: nothing it would roll back is left)."""
        for volume in self._call(self.client.volumes.list, filters={"label": f"{PROJECT_LABEL}={self.project}"}):
            self._call(volume.remove)
        (self.stack.root / UPGRADE_OVERRIDE).unlink(missing_ok=True)
        (self.stack.root / UPGRADE_JOURNAL).unlink(missing_ok=True)

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
        return subprocess.call(argv, cwd=self.stack.root, env=self.endpoint.environ())


def _check_pull(pull: str) -> None:
    if pull not in PULL_POLICIES:
        raise UsageError(f"unknown pull policy {pull!r}", f"use one of: {', '.join(PULL_POLICIES)}")
