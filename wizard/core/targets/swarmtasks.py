"""Swarm's own word on a project's services: one ContainerState per current task, from the manager.

A task's container is visible only on its own node's engine, so listing containers on
the manager misses every task placed on a worker. The manager knows each task's state,
node, exit code and published ports: readiness and `status` read those. A task's state
maps onto the local target's words (``readiness`` applies unchanged): Swarm holds a task
in "starting" until its healthcheck passes, so "running" means healthy when the service
has a healthcheck. A task that waits for the node its data is pinned to, while that node
is down, is "waiting for node NAME": never called failed, never started elsewhere.

A task made from an older spec of its service than the current one (a `stack deploy` that
changed it, or a forced update, or a job's earlier run) is "updating": Swarm is about to
replace it, so it never counts as ready, the way swarmkit's own ``IsTaskDirty`` reads it
(the container spec and the force-update counter; for a job, its iteration). Each task's
own container labels say which config and image it was made from (``CONFIG_LABEL``,
``IMAGE_LABEL``, written by ``up``): what `up` compares with the files now.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Mapping, Sequence

from wizard.core.docker.containers import ContainerState
from wizard.core.docker.model import PublishedPort

# Swarm's task states before its container runs: a replacement is "created" for a moment.
NOT_STARTED = {"new", "pending", "assigned", "accepted", "ready", "preparing"}
ENDED = {"complete", "failed", "shutdown", "rejected", "orphaned"}
FAILED = {"failed", "rejected"}
WAITING_FOR_NODE = "waiting for node"
UPDATING = "updating"
# Container labels `up --target swarm` writes: compose's config hash of the service and its image id.
CONFIG_LABEL = "launcher.swarm.config-hash"
IMAGE_LABEL = "launcher.swarm.image"
# A service's UpdateStatus states that mean Swarm gave its update up.
GAVE_UP = {"rollback_started", "rollback_completed", "rollback_paused", "paused"}


@dataclass(frozen=True)
class Node:
    """One node of the swarm as the manager sees it."""

    id: str
    hostname: str
    state: str  # ready | down | unknown | disconnected
    address: str
    manager: bool
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def up(self) -> bool:
        return self.state == "ready"


def parse_nodes(listing: Sequence[Mapping[str, Any]]) -> dict[str, Node]:
    nodes = {}
    for node in listing:
        status = node.get("Status") or {}
        nodes[node["ID"]] = Node(id=node["ID"], hostname=(node.get("Description") or {}).get("Hostname") or "",
                                 state=status.get("State") or "unknown", address=status.get("Addr") or "",
                                 manager=(node.get("Spec") or {}).get("Role") == "manager",
                                 labels=dict((node.get("Spec") or {}).get("Labels") or {}))
    return nodes


@dataclass(frozen=True)
class NodeReport:
    """What `status` says of one node: its state, whose data it keeps, what it runs."""

    id: str
    hostname: str
    state: str
    manager: bool
    pinned: list[str]  # services whose volumes are on this node (pinned to it)
    held: list[str]  # services with a task on it (for a node that is down: what it ran last)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "hostname": self.hostname, "state": self.state, "manager": self.manager,
                "pinned": list(self.pinned), "held": list(self.held)}


@dataclass
class TaskView:
    """The project's current tasks as container states, and which services each node holds."""

    states: list[ContainerState]
    nodes: dict[str, Node]
    held: dict[str, list[str]]  # node id -> services with a task there (running, or last seen running)
    # compose service name -> (state, message, epoch started) of a Swarm update it gave up (rolled back, paused)
    gave_up: dict[str, tuple[str, str, float]] = field(default_factory=dict)


def task_view(project: str, services: Sequence[Mapping[str, Any]], tasks: Sequence[Mapping[str, Any]],
              nodes: Mapping[str, Node], *, service_label: str, own_node: str,
              pins: Mapping[str, str], deployed: Mapping[str, Mapping[str, str]] | None = None,
              forced: Mapping[str, float] | None = None) -> TaskView:
    """``services`` and ``tasks``: the API's listings; ``own_node``: the node the launcher's engine is
    (its ports are on 127.0.0.1); ``pins``: compose service name -> the node id its data is pinned to.

    ``deployed``: service -> the labels this run's deploy stamped on it: a task made with others is
    outdated even before Swarm has stored the new spec (the deploy may still be on its way);
    ``forced``: service -> when this run's forced update began: a task made before it is outdated."""
    by_id = {service["ID"]: service for service in services}
    slots: dict[tuple[str, Any], list[Mapping[str, Any]]] = {}
    held: dict[str, list[str]] = {}
    current_runs = {service_id for service_id, service in by_id.items()
                    if any(_job_iteration(task) == _job_iteration(service) for task in tasks
                           if task.get("ServiceID") == service_id)}
    for task in tasks:
        service = by_id.get(task.get("ServiceID"))
        if service is None:
            continue
        if task["ServiceID"] in current_runs and _job_iteration(task) != _job_iteration(service):
            continue  # an earlier run of a job that has run again since
        name = _compose_name(service, service_label)
        key = task.get("Slot") or task.get("NodeID")
        slots.setdefault((task["ServiceID"], key), []).append(task)
        state = (task.get("Status") or {}).get("State")
        if task.get("NodeID") and state not in ENDED and name not in held.setdefault(task["NodeID"], []):
            held[task["NodeID"]].append(name)
    states = []
    for (service_id, slot), found in slots.items():
        service = by_id[service_id]
        replicas = (((service.get("Spec") or {}).get("Mode") or {}).get("Replicated") or {}).get("Replicas")
        if isinstance(slot, int) and replicas is not None and slot > replicas:
            continue  # a slot left from a larger replica count
        task = _shown(found)
        name = _compose_name(service, service_label)
        state = _state(project, name, service, task, nodes, own_node, pins.get(name))
        if _older_than_run(state, task, (deployed or {}).get(name), (forced or {}).get(name)):
            state = replace(state, state=UPDATING, health="", uptime=None)
        states.append(state)
    gave_up = {}
    for service in services:
        update = service.get("UpdateStatus") or {}
        if update.get("State") in GAVE_UP:
            gave_up[_compose_name(service, service_label)] = (update["State"], update.get("Message") or "",
                                                              _epoch(update.get("StartedAt")))
    return TaskView(states=states, nodes=dict(nodes), held=held, gave_up=gave_up)


def _older_than_run(state: ContainerState, task: Mapping[str, Any], stamped: Mapping[str, str] | None,
                    forced_at: float | None) -> bool:
    """A task still running that this run's deploy (``stamped``) or forced update replaces."""
    if _task_state(task) in ENDED:
        return False
    made = {"launcher.swarm.config-hash": state.config_hash, "launcher.swarm.image": state.image_label}
    if stamped and any(made.get(key, value) != value for key, value in stamped.items()):
        return True
    return forced_at is not None and state.created < forced_at


def _job_iteration(item: Mapping[str, Any]) -> Any:
    """A job's run a task belongs to, or the service's current one (None for a service that is no job)."""
    found = item.get("JobIteration") or (item.get("JobStatus") or {}).get("JobIteration") or {}
    return found.get("Index")


def outdated(service: Mapping[str, Any], task: Mapping[str, Any]) -> bool:
    """The task was made from an older spec than its service's current one (Swarm replaces it)."""
    if _job_iteration(service) is not None:
        return _job_iteration(task) != _job_iteration(service)
    spec = task.get("Spec")
    if not spec:
        return False
    template = (service.get("Spec") or {}).get("TaskTemplate") or {}
    return (spec.get("ContainerSpec") != template.get("ContainerSpec")
            or (spec.get("ForceUpdate") or 0) != (template.get("ForceUpdate") or 0))


def _compose_name(service: Mapping[str, Any], service_label: str) -> str:
    labels = (((service.get("Spec") or {}).get("TaskTemplate") or {}).get("ContainerSpec") or {}).get("Labels") or {}
    return labels.get(service_label) or service["Spec"]["Name"]


def _shown(tasks: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The task that stands for a slot: the newest, unless it has not started and the one before
    it failed (the failure says more than a replacement about to start)."""
    ordered = sorted(tasks, key=lambda task: task.get("CreatedAt") or "")
    newest = ordered[-1]
    if _task_state(newest) in NOT_STARTED and len(ordered) > 1 and _task_state(ordered[-2]) in FAILED:
        return ordered[-2]
    return newest


def _task_state(task: Mapping[str, Any]) -> str:
    return (task.get("Status") or {}).get("State") or ""


def _state(project: str, name: str, service: Mapping[str, Any], task: Mapping[str, Any], nodes: Mapping[str, Node],
           own_node: str, pinned: str | None) -> ContainerState:
    status = task.get("Status") or {}
    swarm_state = status.get("State") or ""
    container_spec = ((service.get("Spec") or {}).get("TaskTemplate") or {}).get("ContainerSpec") or {}
    check = (container_spec.get("Healthcheck") or {}).get("Test") or []
    has_check = bool(check) and check[0] != "NONE"
    exit_code = (status.get("ContainerStatus") or {}).get("ExitCode")
    node = nodes.get(task.get("NodeID") or "")
    health = ""
    if swarm_state == "running":
        state, health = "running", ("healthy" if has_check else "")
    elif swarm_state == "starting":
        state, health = ("running", "starting") if has_check else ("created", "")
    elif swarm_state in ENDED:
        state = "exited"
        exit_code = 0 if swarm_state == "complete" else exit_code
    else:
        state = "created"
        pin = nodes.get(pinned or "")
        if pin is not None and not pin.up:
            state = f"{WAITING_FOR_NODE} {pin.hostname or pin.id} ({pin.id[:12]})"
    # An ended task of an older spec is history, unless it is a job's earlier run (a new one is coming).
    if outdated(service, task) and (swarm_state not in ENDED or _job_iteration(service) is not None):
        state, health = UPDATING, ""
    since = _epoch(status.get("Timestamp"))
    uptime = max(0.0, time.time() - since) if state == "running" and since else None
    words = f"Up {_duration(uptime)}" if uptime is not None else (status.get("Err") or status.get("Message") or "")
    host_ip = "" if node is None or node.id == own_node else node.address
    # Swarm may list a host-mode port once per address family: one URL is enough.
    ports = tuple(sorted({PublishedPort(port=int(port["PublishedPort"]), target=int(port.get("TargetPort") or 0),
                                        host_ip=host_ip, protocol=port.get("Protocol") or "tcp")
                          for port in (status.get("PortStatus") or {}).get("Ports") or ()
                          if port.get("PublishedPort")}, key=lambda port: (port.port, port.protocol)))
    volumes = tuple((str(mount.get("Target", "")).rstrip("/"), mount.get("Source") or "")
                    for mount in container_spec.get("Mounts") or () if mount.get("Type") == "volume")
    made_from = (((task.get("Spec") or {}).get("ContainerSpec") or {}).get("Labels")
                 or container_spec.get("Labels") or {})
    return ContainerState(
        id=(status.get("ContainerStatus") or {}).get("ContainerID") or "",
        name=f"{service['Spec']['Name']}.{task.get('Slot') or task.get('NodeID')}.{task['ID']}",
        service=name, state=state, health=health,
        exit_code=int(exit_code) if exit_code is not None and state == "exited" else None,
        created=_epoch(task.get("CreatedAt")), uptime=uptime, status=words, ports=ports, project=project,
        volumes=volumes, node=(node.hostname or node.id) if node else "", node_id=node.id if node else "",
        config_hash=made_from.get(CONFIG_LABEL, ""), image_label=made_from.get(IMAGE_LABEL, ""))


def _epoch(stamp: str | None) -> float:
    """Seconds since the epoch of Swarm's RFC 3339 time (nanoseconds cut to microseconds)."""
    if not stamp:
        return 0.0
    head, _, rest = stamp.rstrip("Z").partition(".")
    try:
        return datetime.fromisoformat(f"{head}.{rest[:6].ljust(6, '0')}+00:00").timestamp()
    except ValueError:
        return 0.0


def _duration(seconds: float) -> str:
    """Docker's words for how long, rounded down as `docker ps` rounds."""
    if seconds < 1:
        return "Less than a second"
    for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count > 1 else ''}"
    return "Less than a second"
