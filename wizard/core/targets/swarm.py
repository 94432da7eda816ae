"""Docker Swarm as a deploy target behind the same orchestration as the local one (`launch.up`).

``SwarmEngine`` is a ``ComposeEngine`` whose services run as Swarm services: the compose
model, preflight, plan waves, readiness rules, init steps and events are the local
target's own. What differs is how a wave starts and how state is read:

* start: each group of the wave is one stack, ``docker stack deploy --resolve-image
  never --detach=true -c .launcher/swarm/GROUP.yml PROJECT-GROUP`` (the Docker CLI 24
  or newer: older ones have no ``replicated-job``), after the overlay networks,
  secrets and configs the stack files name exist (created here, labelled with the
  project, content-addressed so a changed file is a new object). PROJECT is the
  instance name, as for compose: stacks, task labels, networks, secrets and configs
  are all named after it, so two checkouts of one stack share nothing on a swarm;
* state: the manager's task listing (``swarmtasks``): one state per current task, on
  whichever node it runs (a task's container is visible only on its own node's engine);
  a service is ready by the local rules: healthy, running without a healthcheck, or,
  for a replicated-job, complete. Swarm itself holds a task in "starting" until its
  healthcheck passes;
* placement: a service with a named volume is pinned to one node by a node label the
  first `up` sets (``placement``), so its data never starts empty elsewhere;
* down: ``docker stack rm`` of every group's stack, then the networks, secrets and
  configs this project created, and with ``volumes`` the stacks' volumes (on this
  engine's node, where the pins put them) and the pins.

Init steps reach the databases through ``mode: host`` ports on the manager's
127.0.0.1, exactly as on the local target.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any, Iterator, Sequence

from wizard.core.docker.composecli import parse_version
from wizard.core.docker.composeengine import ComposeEngine
from wizard.core.docker.containers import ContainerState
from wizard.core.docker.endpoint import current
from wizard.core.support.errors import DockerUnavailable, PreflightFailed
from wizard.core.export.swarmfile import PROJECT_LABEL, SERVICE_LABEL, stack_name
from wizard.core.targets.placement import labels_to_add, pins_of
from wizard.core.targets.swarmtasks import Node, NodeReport, TaskView, parse_nodes, task_view

DOCKER_CANDIDATES = ("/usr/local/bin/docker", "docker")
MIN_DOCKER_CLI = (24, 0, 0)
STACK_NAMESPACE = "com.docker.stack.namespace"
CONTEXT_LABEL = "launcher.context"  # a node label: the Docker context that reaches the node's engine
GONE_TIMEOUT = 60.0  # how long `down` waits for a removed stack's containers to go


def find_docker_cli() -> str:
    """A Docker CLI new enough for `docker stack deploy` with replicated-jobs."""
    import subprocess

    found = []
    for candidate in DOCKER_CANDIDATES:
        path = candidate if os.path.isabs(candidate) else shutil.which(candidate)
        if not path or not os.access(path, os.X_OK):
            continue
        result = subprocess.run([path, "version", "--format", "{{.Client.Version}}"], capture_output=True,
                                text=True, timeout=20)
        version = parse_version(result.stdout)
        if version and version >= MIN_DOCKER_CLI:
            return path
        found.append(f"{path} {result.stdout.strip() or '?'}")
    raise DockerUnavailable(f"a Docker CLI 24 or newer is needed for Swarm stacks; found: {', '.join(found) or 'none'}",
                            "install a current Docker CLI (docker-ce-cli) next to the engine")


class SwarmRun:
    """The stack deploys of one wave, run together; done once Swarm has placed every task."""

    def __init__(self, commands: Sequence[list[str]], cwd: Path, engine: "SwarmEngine",
                 services: Sequence[str]) -> None:
        import subprocess
        import tempfile

        self._engine = engine
        self._services = list(services)
        self._outputs = []
        self._processes = []
        self._settled = False
        self._task_errors: list[str] = []
        for argv in commands:
            output = tempfile.TemporaryFile()
            self._outputs.append(output)
            self._processes.append(subprocess.Popen(argv, cwd=cwd, env=current().environ(), stdout=output,
                                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))

    def done(self) -> bool:
        if any(process.poll() is None for process in self._processes):
            return False
        if self.returncode != 0 or self._settled:
            return True
        # A deploy returns once the services exist; their tasks get containers a moment later.
        self._settled, self._task_errors = self._engine.tasks_settled(self._services)
        return self._settled

    @property
    def returncode(self) -> int | None:
        codes = [process.poll() for process in self._processes]
        if any(code is None for code in codes):
            return None
        return next((code for code in codes if code), 0)

    def output(self) -> str:
        text = []
        for output in self._outputs:
            output.seek(0)
            text.append(output.read().decode("utf-8", "replace"))
        return "".join(text) + "".join(f"error: {line}\n" for line in self._task_errors)

    def cancel(self) -> None:
        for process in self._processes:
            if process.poll() is None:
                process.terminate()
                process.wait()


# How often a node's labels are read and written again when another update came first.
_NODE_UPDATE_TRIES = 10


class SwarmEngine(ComposeEngine):
    """The stack on the engine's Swarm: one Swarm stack per group, named PROJECT-GROUP."""

    # Swarm tasks' containers carry the launcher's own project label (see swarmfile), not compose's.
    project_label = PROJECT_LABEL

    # Swarm makes its own containers, under its own labels: nothing to create ahead, no
    # compose project events to watch (launch then starts each wave and ticks, as before).
    create = None
    watch = None
    # A stack's volumes are named per Swarm stack (PROJECT-GROUP_volume), not as the compose model names them.
    has_volume = None
    pgdata_majors = None
    # `docker stack deploy` converges the services on the files itself (its tasks carry no compose hash).
    wanted = None
    stop = None

    def __init__(self, stack, *, profiles: Sequence[str] = (), client: Any = None, compose=None,
                 docker_cli: str | None = None) -> None:
        super().__init__(stack, profiles=profiles, client=client, compose=compose)
        self._docker_cli = docker_cli
        self._rendered = None  # (texts, objects) of this run's translation, made on the first start
        self._own_node: str | None = None

    @property
    def docker_cli(self) -> str:
        if self._docker_cli is None:
            self._docker_cli = find_docker_cli()
        return self._docker_cli

    @property
    def folder(self) -> Path:
        return self.stack.root / ".launcher" / "swarm"

    def ping(self) -> None:
        """The engine answers and is a Swarm manager; PreflightFailed (one line) when it is not."""
        if self._light is not None:  # one GET /info, without the SDK's import cost on a no-op up
            info = self._light.get("/info")
        else:
            super().ping()
            info = self._call(self.client.info)
        swarm = info.get("Swarm") or {}
        if swarm.get("LocalNodeState") != "active" or not swarm.get("ControlAvailable"):
            raise PreflightFailed("this Docker engine is not a Swarm manager",
                                  "run `docker swarm init` (or use a manager's DOCKER_HOST), then again")

    # -- state ---------------------------------------------------------------------------

    def containers(self) -> list[ContainerState]:
        """One state per current task of the project's services, as the manager reports them
        (a task on a worker has no container on this engine)."""
        self.listed = self.tasks().states
        return self.listed

    def tasks(self) -> TaskView:
        """The project's current tasks, the swarm's nodes and what each node holds (three list calls)."""
        namespaces = {stack_name(self.project, group.name) for group in self.stack.groups}
        services = [service for service in self._list("services", {"label": [STACK_NAMESPACE]})
                    if (service["Spec"].get("Labels") or {}).get(STACK_NAMESPACE) in namespaces]
        tasks = self._list("tasks", {"service": [service["ID"] for service in services]}) if services else []
        nodes = parse_nodes(self._list("nodes"))
        return task_view(self.project, services, tasks, nodes, service_label=SERVICE_LABEL,
                         own_node=self.own_node(), pins=pins_of(self.project, nodes.values()))

    def node_report(self) -> list[NodeReport]:
        """Every node: its state, the services whose data it keeps, and what it runs (or last ran)."""
        view = self.tasks()
        pins = pins_of(self.project, view.nodes.values())
        return [NodeReport(id=node.id, hostname=node.hostname, state=node.state, manager=node.manager,
                           pinned=sorted(service for service, pinned in pins.items() if pinned == node.id),
                           held=sorted(view.held.get(node.id, [])))
                for node in sorted(view.nodes.values(), key=lambda node: (not node.manager, node.hostname))]

    def own_node(self) -> str:
        """The id of the node the launcher's engine is: its published ports are on 127.0.0.1."""
        if self._own_node is None:
            info = self._light.get("/info") if self._light is not None else self._call(self.client.info)
            self._own_node = (info.get("Swarm") or {}).get("NodeID") or ""
        return self._own_node

    def _list(self, kind: str, filters: dict[str, list[str]] | None = None) -> list[dict[str, Any]]:
        """GET /services, /tasks or /nodes on the manager, through the light client when it serves."""
        if self._light is not None:
            return self._light.get(f"/{kind}", {"filters": json.dumps(filters)} if filters else None) or []
        return self._call(getattr(self.client.api, kind), filters=filters) or []

    def tasks_settled(self, services: Sequence[str]) -> tuple[bool, list[str]]:
        """Whether Swarm is done placing each service's tasks (every current task started or ended,
        or waiting for a node that is down), and the errors of failed tasks (an image missing on
        the node, say)."""
        wanted = set(services)
        states = [state for state in self.containers() if state.service in wanted]
        errors = [f"{self.service_name(state.service)}: {state.status}" for state in states
                  if state.state == "exited" and state.exit_code != 0 and state.status]
        placed = {state.service for state in states}
        settled = wanted <= placed and all(state.state != "created" for state in states)
        return settled, errors

    def service_name(self, service: str) -> str:
        return f"{stack_name(self.project, self.model().group_of(service))}_{service}"

    # -- actions -------------------------------------------------------------------------

    def start(self, services: Sequence[str], pull: str = "missing") -> SwarmRun:
        """Write the groups' stack files, create what they need, deploy each group's stack."""
        from wizard.core.export.bundle import write_files
        from wizard.core.export.source import load_source
        from wizard.core.export.swarmfile import render_swarm

        if self._rendered is None:
            texts, objects, _report = render_swarm(load_source(self.stack, profiles=self.profiles, engine=self,
                                                                 project=self.project))
            write_files(self.folder, texts)
            self.ensure_objects(objects)
            self.ensure_pins(objects.pinned)
            self._rendered = texts, objects
        model = self.model()
        groups = list(dict.fromkeys(model.group_of(name) for name in services))
        commands = [[self.docker_cli, "stack", "deploy", "--resolve-image", "never", "--detach=true",
                     "-c", str(self.folder / f"{group}.yml"), stack_name(self.project, group)]
                    for group in groups]
        return SwarmRun(commands, self.stack.root, self, services)

    def ensure_objects(self, objects) -> None:
        """Create the overlay networks, secrets and configs the stack files name, when missing."""
        import docker.errors

        labels = {PROJECT_LABEL: self.project}
        ours = {"label": f"{PROJECT_LABEL}={self.project}"}
        existing = {net["Name"] for net in self._call(self.client.api.networks)}
        for name in objects.networks:
            if name not in existing:
                self._call(self.client.api.create_network, name, driver="overlay", attachable=True, labels=labels)
        for kind, wanted in (("secret", objects.secrets), ("config", objects.configs)):
            listing = self.client.api.secrets if kind == "secret" else self.client.api.configs
            have = {item["Spec"]["Name"] for item in self._call(listing, filters=ours)}
            create = self.client.api.create_secret if kind == "secret" else self.client.api.create_config
            for name, path in wanted.items():
                if name in have or not path.is_file():
                    continue
                try:
                    self._call(create, name, path.read_bytes(), labels=labels)
                except docker.errors.APIError as error:
                    if error.status_code != 409:  # created meanwhile by another run: fine
                        raise

    def ensure_pins(self, services: Sequence[str]) -> None:
        """Label the launcher's own node for each stateful service not pinned yet (the first `up`)."""
        nodes = parse_nodes(self._list("nodes"))
        for key, node_id in labels_to_add(self.project, services, nodes.values(), self.own_node()).items():
            self._label_node(node_id, add={key: "true"})

    def unpin(self) -> None:
        """Take this project's pins off every node: its volumes are gone, the next `up` pins afresh."""
        for node in parse_nodes(self._list("nodes")).values():
            gone = [key for key in pins_of(self.project, [node], keys=True)]
            if gone:
                self._label_node(node.id, remove=gone)

    def _label_node(self, node_id: str, *, add: dict[str, str] | None = None, remove: Sequence[str] = ()) -> None:
        """Update a node's labels from its current spec (Swarm wants the spec whole, at its version); when
        another instance's `up` updated the node first ("update out of sequence"), read it again and redo."""
        import docker.errors

        for attempt in range(_NODE_UPDATE_TRIES):
            node = self._call(self.client.api.inspect_node, node_id)
            spec = dict(node["Spec"])
            labels = {key: value for key, value in (spec.get("Labels") or {}).items() if key not in remove}
            labels.update(add or {})
            spec["Labels"] = labels
            try:
                self._call(self.client.api.update_node, node_id, node["Version"]["Index"], spec)
                return
            except docker.errors.APIError as error:
                if "out of sequence" not in str(error) or attempt == _NODE_UPDATE_TRIES - 1:
                    raise

    def restart(self, services: Sequence[str]) -> None:
        for name in services:
            self._docker("service", "update", "--force", "--detach", self.service_name(name))

    def _docker(self, *args: str) -> None:
        """Run the Docker CLI; a failure becomes one line with its own last words."""
        import subprocess

        from wizard.core.support.errors import ConfigError

        result = subprocess.run([self.docker_cli, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                env=self.endpoint.environ())
        if result.returncode != 0:
            lines = [line.strip() for line in (result.stderr or result.stdout).splitlines() if line.strip()]
            raise ConfigError(f"docker {' '.join(args[:2])} failed: {lines[-1] if lines else 'no output'}",
                              "see `docker stack ls` and `docker service ls`")

    def stacks(self) -> list[str]:
        """The project's stacks that exist now (every group, whatever the profiles)."""
        wanted = {stack_name(self.project, group.name) for group in self.stack.groups}
        services = self._call(self.client.api.services, filters={"label": f"{STACK_NAMESPACE}"})
        present = {(service["Spec"].get("Labels") or {}).get(STACK_NAMESPACE) for service in services}
        return sorted(wanted & present)

    def down(self, volumes: bool = False) -> str:
        """Remove every stack of the project, then its networks, secrets, configs (and volumes)."""
        stacks = self.stacks()
        # Swarm leaves the containers of finished jobs on every node that ran them: where they are.
        elsewhere = self.other_nodes_that_ran_tasks() if stacks else []
        if stacks:
            self._docker("stack", "rm", *stacks)
        label = f"{PROJECT_LABEL}={self.project}"
        ours = {"label": label}
        deadline = time.monotonic() + GONE_TIMEOUT
        while time.monotonic() < deadline:
            left = self._call(self.client.api.containers, all=True, filters=ours)
            if all(container.get("State") in ("exited", "dead", "created") for container in left):
                break
            time.sleep(0.5)
        # Swarm leaves the containers of finished jobs (and exited tasks) behind: ours to remove.
        for container in self._call(self.client.api.containers, all=True, filters=ours):
            self._remove(self.client.api.remove_container, container["Id"], force=True, v=False)
        for net in self._call(self.client.api.networks, filters=ours):
            self._remove(self.client.api.remove_network, net["Id"])
        for secret in self._call(self.client.api.secrets, filters=ours):
            self._remove(self.client.api.remove_secret, secret["ID"])
        for config in self._call(self.client.api.configs, filters=ours):
            self._remove(self.client.api.remove_config, config["ID"])
        if volumes:
            self.unpin()
            namespaces = {stack_name(self.project, group.name) for group in self.stack.groups}
            for volume in self._call(self.client.api.volumes).get("Volumes") or []:
                if (volume.get("Labels") or {}).get(STACK_NAMESPACE) in namespaces:
                    self._remove(self.client.api.remove_volume, volume["Name"], force=True)
        for node in elsewhere:
            self._prune_on(node, label)
        return f"removed {len(stacks)} stack(s)"

    def other_nodes_that_ran_tasks(self) -> list[Node]:
        """The nodes, other than this engine's, that ran a task of the project (Swarm's task history)."""
        namespaces = {stack_name(self.project, group.name) for group in self.stack.groups}
        services = [service["ID"] for service in self._list("services", {"label": [STACK_NAMESPACE]})
                    if (service["Spec"].get("Labels") or {}).get(STACK_NAMESPACE) in namespaces]
        ran = {task.get("NodeID") for task in self._list("tasks", {"service": services})} if services else set()
        nodes = parse_nodes(self._list("nodes"))
        return [nodes[node_id] for node_id in sorted(ran - {self.own_node(), None, ""}) if node_id in nodes]

    def _prune_on(self, node: Node, label: str) -> None:
        """Remove the project's stopped containers on another node, through the Docker context its
        ``launcher.context`` label names; without one (or when it cannot be reached) they stay there,
        as docs/targets.md says, for `docker container prune --filter label=...` on that node."""
        import subprocess

        context = node.labels.get(CONTEXT_LABEL)
        if context:
            subprocess.run([self.docker_cli, "--context", context, "container", "prune", "--force", "--filter",
                            f"label={label}"], capture_output=True, stdin=subprocess.DEVNULL, timeout=60,
                           env=self.endpoint.environ())

    def _remove(self, function, *args, **kwargs) -> None:
        import docker.errors

        try:
            self._call(function, *args, **kwargs)
        except docker.errors.NotFound:
            pass

    def exec_interactive(self, service: str, command: Sequence[str]) -> int:
        """Hand the terminal to `docker exec -it` in the service's running task, on its own node's
        engine: this one, or the Docker context named by the node's ``launcher.context`` label."""
        import subprocess

        context, container = self.exec_context(service)
        return subprocess.call([self.docker_cli, *context, "exec", "-it", container, *command],
                               env=self.endpoint.environ())

    def exec_context(self, service: str) -> tuple[list[str], str]:
        """Where to exec into the service's running task, and its container id: ``[]`` when the task
        is on this engine's node, ``["--context", NAME]`` when its node names the Docker context that
        reaches it; else one line saying what to do."""
        from wizard.core.support.errors import UsageError

        view = self.tasks()
        # A replica on this engine's node first: it needs no second endpoint.
        running = sorted((c for c in view.states if c.service == service and c.state == "running"),
                         key=lambda c: c.node_id != self.own_node())
        if not running:
            raise UsageError(f"no running task of {service}", "see `launcher status --target swarm`")
        if running[0].node_id == self.own_node():
            return [], running[0].id
        node = view.nodes[running[0].node_id]
        context = node.labels.get(CONTEXT_LABEL)
        if not context:
            raise UsageError(f"{service} runs on node {node.hostname} ({node.id[:12]}), not on this engine",
                             f"name a Docker context that reaches it: docker node update --label-add "
                             f"{CONTEXT_LABEL}=CONTEXT {node.id[:12]}")
        return ["--context", context], running[0].id

    def service_logs(self, service: str, *, follow: bool = False, tail: int | str = "all") -> Iterator[bytes]:
        """The service's logs from every node its tasks ran on, through the manager."""
        import subprocess

        argv = [self.docker_cli, "service", "logs", "--no-trunc", "--tail", str(tail),
                *(["--follow"] if follow else []), self.service_name(service)]
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env=self.endpoint.environ())
        try:
            yield from iter(lambda: process.stdout.read1(65536), b"")
        finally:
            if process.poll() is None:
                process.terminate()
            process.wait()

    def by_hand(self) -> str:
        return (f"docker stack deploy --resolve-image never -c .launcher/swarm/GROUP.yml "
                f"{self.project}-GROUP")

    def start_by_hand(self, service: str) -> str:
        group = self.model().group_of(service)
        return (f"docker stack deploy --resolve-image never -c .launcher/swarm/{group}.yml "
                f"{stack_name(self.project, group)} && docker service ps --no-trunc {self.service_name(service)}")

    def logs_by_hand(self, service: str) -> str:
        # `launcher logs` reads compose's containers; a Swarm task's logs come from the service.
        return f"docker service logs --no-trunc {self.service_name(service)}"

