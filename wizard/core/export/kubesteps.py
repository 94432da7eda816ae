"""Init steps as Kubernetes Jobs, run by the launcher itself so they behave as in `launcher up`.

Each Job runs ``python -m wizard.core.export.jobstep STEP`` in an image that holds
the launcher and the stack folder at /stack (the report asks the user to build it):
the same runners, so the same seed tracking table and the same replica-set logic.
The step's files (SQL seeds, Mongo exports) are mounted from a ConfigMap at their
place in the stack folder. Values come from the environment as ``LAUNCHER_<NAME>``:
secrets through ``secretKeyRef``, settings as plain values. An address on the host
(``127.0.0.1:${POSTGRES_PORT}``) is rewritten to the Service that publishes that
port, and an initContainer waits for the step's group before the Job starts.
"""

from __future__ import annotations

import re
from typing import Any

from wizard.core.export.kubefiles import MAX_BYTES, FileObjects, k8s_name
from wizard.core.export.kubernetes import labels_for, stack_secret_name, wait_containers
from wizard.core.export.report import TranslationReport
from wizard.core.export.source import Source
from wizard.core.manifest.stack import Step

STACK_DIR = "/stack"
PARAM_ENV = "LAUNCHER_STEP_PARAM_"  # jobstep reads step parameter overrides from these
_HOST_PORT = re.compile(r"(?:127\.0\.0\.1|localhost):\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def launcher_image(source: Source) -> str:
    return f"{source.project}-launcher:local"


def step_jobs(source: Source, files: FileObjects, report: TranslationReport) -> list[dict]:
    image = launcher_image(source)
    jobs = [step_job(source, step, image, files, report) for wave in source.plan.waves for step in wave.steps]
    if jobs:
        report.todo("init steps", "image", f"build {image}: the launcher installed, this stack folder at "
                    f"{STACK_DIR} (`pip install .` and `COPY . {STACK_DIR}`), pushed where the cluster pulls from")
        report.todo("init steps", "order", "groups after a step wait for the step's group, not for the Job: "
                    "`kubectl wait --for=condition=complete job/NAME` before relying on its data")
    return jobs


def step_job(source: Source, step: Step, image: str, files: FileObjects, report: TranslationReport) -> dict:
    where = f"step {step.name}"
    env: list[dict[str, Any]] = [{"name": "LAUNCHER_STACK", "value": f"{STACK_DIR}/stack.toml"}]
    secrets = {spec.name for spec in source.stack.secrets}
    for name in sorted(source.stack.value_names):
        if name in secrets:
            if source.values.get(name):
                env.append({"name": f"LAUNCHER_{name}", "valueFrom": {"secretKeyRef": {
                    "name": stack_secret_name(source), "key": name}}})
        elif name in source.values:
            env.append({"name": f"LAUNCHER_{name}", "value": source.values[name]})
    for key, value in step.params.items():
        if not isinstance(value, str):
            continue
        rewritten = in_cluster(source, value)
        if rewritten != value:
            env.append({"name": PARAM_ENV + key.upper(), "value": rewritten})
            report.changed(where, key, "host address became the Service that publishes the port")
    container: dict[str, Any] = {"name": "step", "image": image, "workingDir": STACK_DIR, "env": env,
                                 "command": ["python", "-m", "wizard.core.export.jobstep", step.name]}
    pod: dict[str, Any] = {"restartPolicy": "Never", "containers": [container]}
    waits = wait_containers(source, [step.after])
    if waits:
        pod["initContainers"] = waits
    directory = step.params.get("dir")
    if isinstance(directory, str):
        path = source.stack.root / directory
        if path.is_dir():
            volume, size = files.folder(k8s_name(f"{source.project}-step-{step.name}"), path)
            if size > MAX_BYTES:
                report.todo(where, directory, "the seeds exceed a ConfigMap's 1 MiB: bake them into the image "
                            "and remove this ConfigMap and its mount")
            pod["volumes"] = [volume]
            container["volumeMounts"] = [{"name": volume["name"], "mountPath": f"{STACK_DIR}/{directory.strip('/')}",
                                          "readOnly": True}]
            report.changed(where, directory, "mounted from a ConfigMap")
    report.changed(where, step.kind, "became a Job")
    labels = labels_for(source, step.name, step.after)
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": k8s_name(f"step-{step.name}"),
                                                                   "labels": labels},
            "spec": {"backoffLimit": 6, "template": {"metadata": {"labels": labels}, "spec": pod}}}


def in_cluster(source: Source, text: str) -> str:
    """``127.0.0.1:${PORT}`` -> ``service:target`` when a service publishes that port on the host."""

    def replace(match: re.Match[str]) -> str:
        value = source.values.get(match.group(1), "")
        found = source.published_by(int(value)) if value.isdigit() else None
        return f"{k8s_name(found[0])}:{found[1]}" if found else match.group(0)

    return _HOST_PORT.sub(replace, text)
