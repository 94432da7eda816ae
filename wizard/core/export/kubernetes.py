"""Kubernetes manifests from the stack: one file per group, Secrets, ConfigMaps, init-step Jobs.

Per compose service: a Deployment, a StatefulSet (when it mounts a named volume,
each volume a volumeClaimTemplate) or a Job (a one-shot service); a Service for
its container ports; readiness and startup probes from its healthcheck. Values
that carry a generated secret go to Secrets and reach the container through
``secretKeyRef``: nothing secret in a ConfigMap or in a pod spec. The plan's
order becomes initContainers that wait until the services of the groups a
group comes after accept connections. Init steps are Jobs (``kubesteps``).
Every change and every dropped key is recorded in the TranslationReport.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any
from urllib.parse import quote

from wizard.core.export.kubefiles import FileObjects, k8s_name
from wizard.core.export.report import TranslationReport
from wizard.core.export.source import Source, seconds, unescape

WAIT_IMAGE = "busybox:1.36"  # only needs sh and nc, for the initContainers that wait
DEFAULT_STORAGE = "1Gi"
# Compose keys the translation handles; any other key of a service is reported as dropped.
HANDLED = {"image", "command", "entrypoint", "environment", "ports", "expose", "healthcheck", "volumes", "secrets",
           "configs", "user", "working_dir", "depends_on", "restart", "labels", "networks", "pull_policy",
           "container_name", "build", "stop_grace_period", "privileged", "cap_add", "tty", "stdin_open", "deploy",
           "profiles"}
QUIET = {"networks": "one cluster network: Services give the same names", "pull_policy": "set imagePullPolicy instead",
         "container_name": "pods are named by their controller", "profiles": "resolved before translation"}


def stack_secret_name(source: Source) -> str:
    return k8s_name(f"{source.project}-secrets")


def labels_for(source: Source, service: str, group: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": k8s_name(service), "app.kubernetes.io/part-of": k8s_name(source.project),
            "launcher/group": k8s_name(group)}


def translate_group(source: Source, group: str, files: FileObjects, report: TranslationReport) -> list[dict]:
    """Every object for the services of one group (their Secrets and ConfigMaps go to ``files``)."""
    docs: list[dict] = []
    waits = wait_containers(source, source.stack.group(group).after)
    for name, service in source.services(group).items():
        docs.extend(translate_service(source, group, name, service, waits, files, report))
    return docs


def translate_service(source: Source, group: str, name: str, service: dict[str, Any], waits: list[dict],
                      files: FileObjects, report: TranslationReport) -> list[dict]:
    where = f"service {name}"
    spec = source.spec(name)
    for key in service:
        if key not in HANDLED:
            report.drop(where, key, "no Kubernetes equivalent is translated")
        elif key in QUIET and service[key]:
            report.drop(where, key, QUIET[key])
    container: dict[str, Any] = {"name": k8s_name(name), "image": image_of(source, name, service, report)}
    env = environment(source, name, service.get("environment") or {}, files, report)
    for key, field in (("entrypoint", "command"), ("command", "args")):
        if service.get(key):
            container[field] = [without_secrets(source, name, field, index, unescape(str(part)), env, files, report)
                                for index, part in enumerate(service[key])]
    if env:
        container["env"] = env
    ports = container_ports(service)
    if ports:
        container["ports"] = [{"containerPort": port, "protocol": protocol.upper()} for port, protocol in ports]
    probes(container, service.get("healthcheck"), where, report, secrets=(source, env))
    if env and "env" not in container:
        container["env"] = env
    if service.get("working_dir"):
        container["workingDir"] = service["working_dir"]
    for key, field in (("tty", "tty"), ("stdin_open", "stdin")):
        if service.get(key):
            container[field] = True
    for key in (service.get("deploy") or {}):
        if key != "replicas":
            report.drop(where, f"deploy.{key}", "only deploy.replicas is translated")
    security = security_context(service, where, report)
    if security:
        container["securityContext"] = security
    volumes, claims = mounts(source, name, service, container, files, report)
    for port in service.get("ports") or ():
        if port.get("published"):
            report.todo(where, f"port {port.get('published')}", "published on the host by compose: reach it with "
                        "`kubectl port-forward` or an Ingress/LoadBalancer Service")
    if service.get("depends_on"):
        report.drop(where, "depends_on", "order within a group is not kept; groups wait for the groups they come "
                    "after through initContainers")
    if service.get("build"):
        report.todo(where, "build", f"build and push {container['image']} to a registry the cluster can pull from")
    if service.get("labels"):
        report.changed(where, "labels", "became pod annotations")

    labels = labels_for(source, name, group)
    pod: dict[str, Any] = {"containers": [container]}
    if waits:
        pod["initContainers"] = waits
    if volumes:
        pod["volumes"] = volumes
    grace = service.get("stop_grace_period")
    if grace:
        pod["terminationGracePeriodSeconds"] = seconds(grace, 10)
    template = {"metadata": {"labels": labels}, "spec": pod}
    annotations = {str(k): str(v) for k, v in (service.get("labels") or {}).items()}
    if annotations:
        template["metadata"]["annotations"] = annotations
    meta = {"name": k8s_name(name), "labels": labels}
    docs: list[dict] = []
    if spec.oneshot:
        pod["restartPolicy"] = "Never"
        docs.append({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta,
                     "spec": {"backoffLimit": 3, "template": template}})
        report.changed(where, "one-shot service", "became a Job")
        return docs
    replicas = int(((service.get("deploy") or {}).get("replicas")) or 1)
    selector = {"matchLabels": {"app.kubernetes.io/name": k8s_name(name)}}
    if claims:
        docs.append({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta,
                     "spec": {"serviceName": k8s_name(name), "replicas": replicas, "selector": selector,
                              "template": template, "volumeClaimTemplates": claims}})
        report.changed(where, "named volumes", "became a StatefulSet with volumeClaimTemplates")
    else:
        docs.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
                     "spec": {"replicas": replicas, "selector": selector, "template": template}})
    if ports or claims:
        docs.append(service_object(name, labels, ports))
    restart = str(service.get("restart") or "")
    if restart in ("no", "on-failure"):
        report.changed(where, f"restart: {restart}", "pods of a Deployment or StatefulSet always restart")
    return docs


def image_of(source: Source, name: str, service: dict[str, Any], report: TranslationReport) -> str:
    image = service.get("image")
    if not image:
        image = f"{source.project}-{name}"  # the name compose gives a built image
        report.todo(f"service {name}", "image", f"no image: build {image} and push it where the cluster pulls from")
    return str(image)


def environment(source: Source, service: str, values: dict[str, Any], files: FileObjects,
                report: TranslationReport) -> list[dict]:
    """Plain values inline; a value that is a generated secret, or contains one, through a Secret."""
    env = []
    for key, value in values.items():
        if value is None:
            report.drop(f"service {service}", f"environment {key}", "no value in the compose config")
            continue
        text = unescape(str(value))
        found = source.secrets_in(text)
        if found and text == source.values.get(found[0]):
            ref = {"name": stack_secret_name(source), "key": found[0]}
        elif found:
            ref = {"name": files.service_secret(service, key, text), "key": key}
        else:
            env.append({"name": key, "value": text.replace("$(", "$$(")})  # $(X) would expand in Kubernetes
            continue
        env.append({"name": key, "valueFrom": {"secretKeyRef": ref}})
        report.changed(f"service {service}", f"environment {key}", "secret value: read from a Secret")
    return env


def without_secrets(source: Source, service: str, field: str, index: int, text: str, env: list[dict],
                    files: FileObjects, report: TranslationReport) -> str:
    """One word of a command or entrypoint, with each secret value as ``$(VAR)`` of an env var from a Secret.

    Kubernetes expands ``$(VAR)`` in command and args from the container's own env, so the
    pod spec names the variable and never holds the value; every other ``$`` is doubled,
    which Kubernetes reads back as one. A secret only found percent-encoded (inside a URL)
    puts the whole word in the service's Secret instead.
    """
    found = source.secrets_in(text)
    escaped = text.replace("$", "$$")
    if not found:
        return escaped
    for name in sorted(found, key=lambda secret: -len(source.values[secret])):
        value = source.values[name]
        if value in text:
            escaped = escaped.replace(value.replace("$", "$$"), f"$({_secret_variable(source, name, env)})")
    if any(source.values[name] in escaped or quote(source.values[name], safe="") in escaped for name in found):
        variable = f"LAUNCHER_{field.upper()}_{index}"
        ref = {"name": files.service_secret(service, variable, text), "key": variable}
        env.append({"name": variable, "valueFrom": {"secretKeyRef": ref}})
        escaped = f"$({variable})"
    report.changed(f"service {service}", f"{field} word {index + 1}", "secret value: $(VAR) of an env var read "
                   "from a Secret")
    return escaped


def _secret_variable(source: Source, name: str, env: list[dict]) -> str:
    """The container's env var holding the stack secret name: an existing one, else one added."""
    ref = {"name": stack_secret_name(source), "key": name}
    for item in env:
        if (item.get("valueFrom") or {}).get("secretKeyRef") == ref:
            return str(item["name"])
    variable = f"LAUNCHER_SECRET_{name}"
    env.append({"name": variable, "valueFrom": {"secretKeyRef": ref}})
    return variable


def container_ports(service: dict[str, Any]) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for port in service.get("ports") or ():
        item = (int(port.get("target")), str(port.get("protocol") or "tcp"))
        if item not in found:
            found.append(item)
    for exposed in service.get("expose") or ():
        number = int(str(exposed).split("/", 1)[0].split("-", 1)[0])
        if (number, "tcp") not in found:
            found.append((number, "tcp"))
    return found


def probes(container: dict[str, Any], check: dict[str, Any] | None, where: str, report: TranslationReport,
           *, secrets: tuple[Source, list[dict]] | None = None) -> None:
    """readinessProbe (and a startupProbe covering start_period) running the healthcheck's command.

    Kubernetes does not expand ``$(VAR)`` in a probe: a secret in the healthcheck becomes a
    shell expansion of an env var read from a Secret (``secrets``: the source and the
    container's env), so the probe runs through ``sh -c``; one it cannot replace drops the probe.
    """
    if not check or check.get("disable"):
        return
    test = list(check.get("test") or [])
    if not test or test[0] == "NONE":
        return
    command = (["sh", "-c", unescape(str(test[1]))] if test[0] == "CMD-SHELL"
               else [unescape(str(part)) for part in (test[1:] if test[0] == "CMD" else test)])
    if secrets is not None and any(secrets[0].secrets_in(word) for word in command):
        command = _probe_without_secrets(command, test[0] == "CMD-SHELL", *secrets)
        if command is None:
            report.todo(where, "healthcheck", "holds a secret in a form that cannot be read from an env var: "
                        "no probe was written; write one that reads the secret from the environment")
            return
    interval = seconds(check.get("interval"), 30)
    timeout = seconds(check.get("timeout"), 30)
    retries = int(check.get("retries") or 3)
    start = seconds(check.get("start_period"), 0) if check.get("start_period") else 0
    probe = {"exec": {"command": command}, "periodSeconds": interval, "timeoutSeconds": timeout}
    container["readinessProbe"] = {**probe, "failureThreshold": retries}
    container["startupProbe"] = {**probe, "failureThreshold": retries + math.ceil(start / interval)}
    report.changed(where, "healthcheck", "became a readinessProbe and a startupProbe (no livenessProbe: compose "
                   "does not restart an unhealthy container either)")


def _probe_without_secrets(command: list[str], shell: bool, source: Source, env: list[dict]) -> list[str] | None:
    """The probe as ``sh -c`` with every secret value replaced by a quoted expansion of its env var."""
    import re
    import shlex

    by_value = {source.values[name]: name for name in source.secret_values()}
    pattern = re.compile("|".join(re.escape(value) for value in sorted(by_value, key=len, reverse=True)))

    def replaced(text: str, quoted) -> str:
        out, pos = [], 0
        for found in pattern.finditer(text):
            variable = _secret_variable(source, by_value[found.group()], env)
            quoting = _shell_quoting(text, found.start()) if shell else ""
            out += [quoted(text[pos:found.start()]),
                    {"'": f"'\"${{{variable}}}\"'", '"': f"${{{variable}}}"}.get(quoting, f'"${{{variable}}}"')]
            pos = found.end()
        return "".join(out) + quoted(text[pos:])

    script = (replaced(command[2], lambda piece: piece) if shell
              else "exec " + " ".join(replaced(word, lambda piece: shlex.quote(piece) if piece else "")
                                      for word in command))
    if any(value in script or quote(value, safe="") in script for value in by_value):
        return None
    return ["sh", "-c", script]


def _shell_quoting(script: str, at: int) -> str:
    """The quote the shell is inside at position ``at`` of script: "'", '"' or ""."""
    state, pos = "", 0
    while pos < at:
        char = script[pos]
        if state != "'" and char == "\\":
            pos += 2
            continue
        if char in "'\"" and state in ("", char):
            state = "" if state == char else char
        pos += 1
    return state


def security_context(service: dict[str, Any], where: str, report: TranslationReport) -> dict[str, Any]:
    context: dict[str, Any] = {}
    user = str(service.get("user") or "")
    if user:
        parts = user.split(":", 1)
        if all(part.isdigit() for part in parts):
            context["runAsUser"] = int(parts[0])
            if len(parts) == 2:
                context["runAsGroup"] = int(parts[1])
        else:
            report.drop(where, "user", "Kubernetes needs a numeric uid")
    if service.get("privileged"):
        context["privileged"] = True
    if service.get("cap_add"):
        context["capabilities"] = {"add": list(service["cap_add"])}
    return context


def mounts(source: Source, service: str, compose: dict[str, Any], container: dict[str, Any], files: FileObjects,
           report: TranslationReport) -> tuple[list[dict], list[dict]]:
    """Pod volumes and volumeClaimTemplates for the service's mounts, secrets and configs."""
    where = f"service {service}"
    volumes: list[dict] = []
    claims: list[dict] = []
    mounted: list[dict] = []
    for index, mount in enumerate(compose.get("volumes") or ()):
        kind, target = mount.get("type"), mount.get("target")
        read_only = bool(mount.get("read_only"))
        if kind == "volume" and mount.get("source"):
            claim = k8s_name(mount["source"])
            if claim not in [c["metadata"]["name"] for c in claims]:
                claims.append({"metadata": {"name": claim}, "spec": {
                    "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": DEFAULT_STORAGE}}}})
                report.todo(where, f"volume {mount['source']}", f"claims {DEFAULT_STORAGE}: set the size and "
                            "storageClassName your cluster needs")
            mounted.append({"name": claim, "mountPath": target, "readOnly": read_only})
        elif kind in ("volume", "tmpfs"):
            name = f"scratch-{index}"
            volumes.append({"name": name, "emptyDir": {"medium": "Memory"} if kind == "tmpfs" else {}})
            mounted.append({"name": name, "mountPath": target})
            report.changed(where, f"{kind} {target}", "became an emptyDir")
        elif kind == "bind":
            volume = files.bind(service, Path(mount["source"]), report)
            if volume is None:
                continue
            volumes.append(volume["volume"])
            mounted.append({"name": volume["volume"]["name"], "mountPath": target, "readOnly": True,
                            **({"subPath": volume["sub_path"]} if volume.get("sub_path") else {})})
    for kind in ("secrets", "configs"):
        for ref in compose.get(kind) or ():
            volume = files.declared(kind, ref["source"], report)
            if volume is None:
                continue
            target = ref.get("target") or ref["source"]
            if not target.startswith("/"):
                target = f"/run/secrets/{target}" if kind == "secrets" else f"/{target}"
            if volume["volume"]["name"] not in [v["name"] for v in volumes]:
                volumes.append(volume["volume"])
            mounted.append({"name": volume["volume"]["name"], "mountPath": target, "subPath": volume["sub_path"],
                            "readOnly": True})
    if mounted:
        container["volumeMounts"] = [{k: v for k, v in m.items() if v is not False} for m in mounted]
    return volumes, claims


def service_object(name: str, labels: dict[str, str], ports: list[tuple[int, str]]) -> dict:
    spec: dict[str, Any] = {"selector": {"app.kubernetes.io/name": k8s_name(name)}}
    if ports:
        spec["ports"] = [{"name": f"{protocol}-{port}", "port": port, "targetPort": port,
                          "protocol": protocol.upper()} for port, protocol in ports]
    else:
        spec["clusterIP"] = "None"  # the StatefulSet's governing Service: DNS only
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": k8s_name(name), "labels": labels},
            "spec": spec}


def wait_containers(source: Source, groups: tuple[str, ...] | list[str]) -> list[dict]:
    """One initContainer per service of ``groups`` that listens: wait until it accepts connections."""
    waits = []
    for group in groups:
        for name, service in source.services(group).items():
            if source.spec(name).oneshot:
                continue
            ports = container_ports(service)
            if not ports:
                continue
            host, port = k8s_name(name), ports[0][0]
            waits.append({"name": k8s_name(f"wait-{name}"), "image": WAIT_IMAGE, "command": [
                "sh", "-c", f"until nc -z -w 2 {host} {port}; do echo waiting for {host}:{port}; sleep 2; done"]})
    return waits

