"""Swarm stack files from the stack: one per group, what `docker stack deploy` accepts and honours.

Compose's resolved config (interpolated, ``$`` already escaped as ``$$`` for the
next interpolation, which `docker stack deploy` does) is rewritten service by
service: keys Swarm rejects or ignores are dropped, ``restart`` becomes
``deploy.restart_policy``, a one-shot service a ``replicated-job``, ports the long
form with ``mode: host`` (no IPVS here, and Swarm has no host_ip), every service
``endpoint_mode: dnsrr``. Files the services read become Swarm secrets (a
secret's file, a rendered env file) or Swarm configs (any other file of the stack),
external and named by a hash of their content so a changed file is a new object,
never an update Swarm refuses. Every network is one external overlay network the
launcher creates, so services of different groups (stacks) reach each other by
name as they do in the one compose project. A service with a healthcheck is updated
health-gated and rolled back when its new tasks fail (``update_config.failure_action:
rollback``); `up --target swarm` also stamps each service's container labels with
what it was made from (``stamps``: compose's config hash, the image id), which `up`
compares with the files on the next run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from wizard.core.export.report import TranslationReport
from wizard.core.export.source import Source

PROJECT_LABEL = "launcher.swarm.project"
SERVICE_LABEL = "launcher.swarm.service"
GROUP_LABEL = "launcher.swarm.group"
PIN_PREFIX = "launcher.data"  # node labels that pin a service with a named volume (targets/placement.py)
KEEP = {"image", "command", "entrypoint", "environment", "healthcheck", "labels", "user", "working_dir", "hostname",
        "init", "stop_grace_period", "stop_signal", "ulimits", "sysctls", "cap_add", "cap_drop", "tty", "stdin_open",
        "read_only", "tmpfs", "dns", "dns_search", "logging", "extra_hosts", "networks", "ports", "volumes",
        "secrets", "configs", "deploy"}
WHY = {
    "build": "swarm deploys images: load or push the image on every node",
    "container_name": "swarm names tasks itself",
    "depends_on": "rejected in long form, ignored in short: the launcher orders groups (stacks), not services",
    "pull_policy": "rejected by docker stack deploy; the launcher deploys with --resolve-image never",
    "profiles": "rejected; resolved before translation",
    "env_file": "rejected; its values are in environment",
    "expose": "deprecated; services reach every port of each other on the overlay network",
    "privileged": "ignored by docker stack deploy",
    "security_opt": "ignored by docker stack deploy",
    "network_mode": "ignored by docker stack deploy",
    "links": "ignored; the overlay network resolves service names",
    "post_start": "Swarm has no lifecycle hooks: run the command from the image's entrypoint, or as an init step",
    "pre_stop": "Swarm has no lifecycle hooks: the task only gets stop_signal and stop_grace_period",
}
MAX_OBJECT_NAME = 64  # Swarm's limit on a secret's or config's name
RESTART = {"no": "none", "always": "any", "unless-stopped": "any", "on-failure": "on-failure"}


@dataclass
class SwarmObjects:
    """What must exist before the stacks deploy: overlay networks, secrets and configs (by Swarm name)."""

    networks: list[str] = field(default_factory=list)
    secrets: dict[str, Path] = field(default_factory=dict)
    configs: dict[str, Path] = field(default_factory=dict)
    pinned: list[str] = field(default_factory=list)  # services with a named volume: each pinned to one node


def stack_name(project: str, group: str) -> str:
    return f"{project}-{group}"


def pin_label(project: str, service: str) -> str:
    """The node label that says where a service's volumes live (one node; see targets/placement.py)."""
    return f"{PIN_PREFIX}.{project}.{service}"


def network_name(source: Source, network: str) -> str:
    return f"{source.project}-{network}"


def swarm_stacks(source: Source, stamps: Mapping[str, Mapping[str, str]] | None = None,
                 ) -> tuple[dict[str, dict[str, Any]], SwarmObjects, TranslationReport]:
    """Group name -> stack file content (plan order), the objects they need, the report.

    ``stamps``: service -> container labels to add (what the service was made from)."""
    report = TranslationReport(target="swarm")
    objects = SwarmObjects()
    stacks: dict[str, dict[str, Any]] = {}
    for skipped in source.plan.skipped:
        report.drop(f"group {skipped.group}", "group", f"skipped by the plan: {skipped.reason}")
    if source.config.get("name"):
        report.drop("stack", "name", "rejected by docker stack deploy: each group is a stack named PROJECT-GROUP")
    for group in source.plan.groups:
        services = source.services(group.name)
        if not services:
            continue
        top: dict[str, dict[str, Any]] = {"networks": {}, "volumes": {}, "secrets": {}, "configs": {}}
        out = {name: translate_service(source, group.name, name, service, top, objects, report)
               for name, service in services.items()}
        for name, labels in (stamps or {}).items():
            if name in out:
                out[name]["labels"].update(labels)
        stack: dict[str, Any] = {"services": out}
        stack.update({key: value for key, value in top.items() if value})
        stacks[group.name] = stack
    return stacks, objects, report


def translate_service(source: Source, group: str, name: str, service: dict[str, Any], top: dict[str, dict],
                      objects: SwarmObjects, report: TranslationReport) -> dict[str, Any]:
    where = f"service {name}"
    out: dict[str, Any] = {}
    for key, value in service.items():
        if value is None:
            continue
        if key in KEEP:
            out[key] = value
        elif key != "restart":
            report.drop(where, key, WHY.get(key, "not supported by docker stack deploy"))
    deploy = dict(out.get("deploy") or {})
    deploy["endpoint_mode"] = "dnsrr"  # no IPVS on such kernels: service VIPs would not forward
    if source.spec(name).oneshot:
        deploy["mode"] = "replicated-job"
        deploy.pop("replicas", None)
        report.changed(where, "one-shot service", "became deploy.mode: replicated-job")
    restart = service.get("restart")
    if restart and not source.spec(name).oneshot:
        deploy.setdefault("restart_policy", {"condition": RESTART.get(str(restart).split(":")[0], "any")})
        report.changed(where, f"restart: {restart}", "became deploy.restart_policy")
    out["deploy"] = deploy
    labels = dict(out.get("labels") or {})
    labels.update({PROJECT_LABEL: source.project, SERVICE_LABEL: name, GROUP_LABEL: group})
    out["labels"] = labels  # container labels: how the launcher finds a stack's containers in one list call
    if "healthcheck" in out:
        check = dict(out["healthcheck"])
        if check.pop("start_interval", None):
            report.drop(where, "healthcheck.start_interval", "needs Docker API 1.44")
        out["healthcheck"] = check
        if not check.get("disable") and not source.spec(name).oneshot:
            # Swarm's update waits for each new task to pass its healthcheck; one that fails is undone.
            deploy["update_config"] = {"failure_action": "rollback", **(deploy.get("update_config") or {})}
    if service.get("ports"):
        out["ports"] = [host_port(port, where, report) for port in service["ports"]]
    networks = out.get("networks") or {"default": None}
    out["networks"] = networks
    for network in networks:
        top["networks"][network] = {"external": True, "name": network_name(source, network)}
        if network_name(source, network) not in objects.networks:
            objects.networks.append(network_name(source, network))
    out["volumes"] = mounts(source, name, service, out, top, objects, report)
    if not out["volumes"]:
        del out["volumes"]
    if any(mount.get("type") == "volume" and mount.get("source") for mount in out.get("volumes") or ()):
        # A volume lives on the node that made it: a task elsewhere would start on an empty one.
        placement = dict(deploy.get("placement") or {})
        placement["constraints"] = [*(placement.get("constraints") or ()),
                                    f"node.labels.{pin_label(source.project, name)} == true"]
        deploy["placement"] = placement
        objects.pinned.append(name)
        report.changed(where, "named volume", f"pinned to the node labelled {pin_label(source.project, name)}=true")
    for kind in ("secrets", "configs"):
        for ref in service.get(kind) or ():
            declared((source.config.get(kind) or {}).get(ref["source"]) or {}, kind, ref["source"], source, top,
                     objects, report)
    return out


def host_port(port: dict[str, Any], where: str, report: TranslationReport) -> dict[str, Any]:
    out = {"target": int(port["target"]), "protocol": port.get("protocol") or "tcp", "mode": "host"}
    if port.get("published"):
        out["published"] = int(str(port["published"]).split("-", 1)[0])
    if port.get("host_ip") and port["host_ip"] not in ("0.0.0.0", "::"):
        report.drop(where, f"port {port.get('published')} host_ip {port['host_ip']}",
                    "swarm publishes on every address of the node: firewall it if it must stay local")
    report.changed(where, f"port {port.get('published') or port['target']}",
                   "mode: host (the routing mesh needs IPVS, which such kernels lack)")
    return out


def mounts(source: Source, name: str, service: dict[str, Any], out: dict[str, Any], top: dict[str, dict],
           objects: SwarmObjects, report: TranslationReport) -> list[dict[str, Any]]:
    """Named volumes kept; files of the stack as secrets/configs; other binds kept with a warning."""
    where = f"service {name}"
    kept: list[dict[str, Any]] = []
    for mount in service.get("volumes") or ():
        if mount.get("type") == "volume" and mount.get("source"):
            top["volumes"][mount["source"]] = {}
            kept.append(mount)
            continue
        source_path = Path(mount["source"]) if mount.get("type") == "bind" else None
        if source_path is not None and source_path.is_file() and source.inside(source_path):
            secret = source.secret_file(source_path)
            kind = "secrets" if secret else "configs"
            key = file_key(source, source_path)
            swarm = content_name(source, key, source_path)
            top[kind][key] = {"external": True, "name": swarm}
            (objects.secrets if secret else objects.configs)[swarm] = source_path
            out.setdefault(kind, []).append({"source": key, "target": mount["target"], "mode": 0o400 if secret
                                             else 0o444})
            report.changed(where, f"bind {mount['target']}", "became a Swarm secret" if secret
                           else "became a Swarm config")
            continue
        if source_path is not None:
            report.todo(where, f"bind {mount['source']}", "a bind mount: this path must exist on every node "
                        "that may run the service (or pin the service with a placement constraint)")
        kept.append(mount)
    return kept


def declared(declared: dict[str, Any], kind: str, key: str, source: Source, top: dict[str, dict],
             objects: SwarmObjects, report: TranslationReport) -> None:
    """A top-level compose secret or config: a file becomes an external object the launcher creates."""
    if not declared.get("file"):
        top[kind][key] = {k: v for k, v in declared.items() if k != "name"} or {"external": True}
        report.todo(f"{kind[:-1]} {key}", "source", "not a file: create it in the swarm by hand")
        return
    path = Path(declared["file"])
    swarm = content_name(source, key, path)
    top[kind][key] = {"external": True, "name": swarm}
    (objects.secrets if kind == "secrets" else objects.configs)[swarm] = path
    report.changed(f"{kind[:-1]} {key}", "file", f"became the Swarm {kind[:-1]} {swarm}")


def file_key(source: Source, path: Path) -> str:
    relative = path.resolve().relative_to(source.stack.root.resolve()).as_posix()
    return "f_" + "".join(ch if ch.isalnum() else "_" for ch in relative)


def content_name(source: Source, key: str, path: Path) -> str:
    """``PROJECT_KEY_HASH``: a changed file is a new object (Swarm cannot update a secret's data).

    Swarm allows 64 characters: a longer name (a long instance name) keeps its head and ends in a
    hash of the whole, so the content and the instance still make the name.
    """
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.is_file() else "missing"
    name = f"{source.project}_{key}_{digest}"
    if len(name) <= MAX_OBJECT_NAME:
        return name
    return f"{name[:MAX_OBJECT_NAME - 13]}_{hashlib.sha256(name.encode()).hexdigest()[:12]}"


def render_swarm(source: Source, stamps: Mapping[str, Mapping[str, str]] | None = None,
                 ) -> tuple[dict[str, str], SwarmObjects, TranslationReport]:
    """File name -> YAML text, one stack file per group, plus the objects and the report."""
    from wizard.core.export.bundle import to_yaml

    stacks, objects, report = swarm_stacks(source, stamps)
    texts = {f"{group}.yml": to_yaml(stack) for group, stack in stacks.items()}
    report.files = list(texts)
    return texts, objects, report


def export_todos(source: Source, objects: SwarmObjects, report: TranslationReport) -> None:
    """What `launcher up --target swarm` creates itself and a user of the exported files must create."""
    for network in objects.networks:
        report.todo("stack", f"network {network}", f"docker network create --driver overlay --attachable {network}")
    for name in objects.pinned:
        report.todo("stack", f"placement of {name}", f"docker node update --label-add {pin_label(source.project, name)}"
                    "=true NODE (the node that keeps its volumes)")
    for kind, found in (("secret", objects.secrets), ("config", objects.configs)):
        for name, path in found.items():
            shown = path.resolve().relative_to(source.stack.root.resolve()).as_posix() if source.inside(path) else path
            report.todo("stack", f"{kind} {name}", f"docker {kind} create {name} {shown}")
    for group in source.plan.groups:
        if group.name in {Path(name).stem for name in report.files}:
            report.todo("stack", f"group {group.name}", "docker stack deploy --resolve-image never "
                        f"-c {group.name}.yml {stack_name(source.project, group.name)} (in plan order, each "
                        "healthy before the next; then the init steps: `launcher up --target swarm` does all this)")
