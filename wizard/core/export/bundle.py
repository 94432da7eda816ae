"""Assemble an export's files and write them: YAML, 0600 files in a 0700 folder, atomically.

Both targets carry secret values (Swarm stack files inline the environment, the
Kubernetes Secrets hold every generated secret), so the whole output is treated
like the stack's own generated files. Everything is rendered in memory first:
nothing is written unless the whole translation succeeded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from wizard.core.export.report import TranslationReport
from wizard.core.export.source import Source

KUSTOMIZATION = "kustomization.yaml"


def to_yaml(docs: list[dict[str, Any]] | dict[str, Any]) -> str:
    """Block-style YAML without anchors: a reader sees every object whole."""
    import yaml

    class Plain(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    options = {"Dumper": Plain, "sort_keys": False, "default_flow_style": False, "width": 120}
    if isinstance(docs, dict):
        return yaml.dump(docs, **options)
    return yaml.dump_all(docs, **options)


def kubernetes_bundle(source: Source) -> tuple[dict[str, list[dict]], TranslationReport]:
    """File name -> Kubernetes objects, one file per group, plus secrets, configmaps and steps."""
    from wizard.core.export.kubefiles import FileObjects, k8s_name
    from wizard.core.export.kubernetes import stack_secret_name, translate_group
    from wizard.core.export.kubesteps import step_jobs

    report = TranslationReport(target="kubernetes")
    files = FileObjects(source)
    files.stack_secret(stack_secret_name(source))
    out: dict[str, list[dict]] = {}
    for skipped in source.plan.skipped:
        report.drop(f"group {skipped.group}", "group", f"skipped by the plan: {skipped.reason}")
    for group in source.plan.groups:
        docs = translate_group(source, group.name, files, report)
        if docs:
            out[f"{k8s_name(group.name)}.yaml"] = docs
    jobs = step_jobs(source, files, report)
    if jobs:
        out["steps.yaml"] = jobs
    secrets, configmaps = files.objects()
    out["secrets.yaml"] = secrets
    if configmaps:
        out["configmaps.yaml"] = configmaps
    order = ["secrets.yaml", "configmaps.yaml"]
    resources = [name for name in order if name in out] + [name for name in out if name not in order]
    out = {name: out[name] for name in resources}
    report.drop("stack", "published ports on 127.0.0.1", "a cluster has no loopback of the developer's machine")
    report.todo("stack", "secrets.yaml", "holds every generated secret in clear text (stringData): apply it, "
                "then keep it out of git (or convert it with sealed-secrets/SOPS)")
    return out, report


def kustomization(resources: list[str]) -> dict[str, Any]:
    return {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": resources}


def render_kubernetes(source: Source) -> tuple[dict[str, str], TranslationReport]:
    bundle, report = kubernetes_bundle(source)
    texts = {name: to_yaml(docs) for name, docs in bundle.items()}
    texts[KUSTOMIZATION] = to_yaml(kustomization(list(bundle)))
    report.files = list(texts)
    return texts, report


def write_files(folder: Path, texts: Mapping[str, str]) -> None:
    """Every file 0600 in ``folder`` (0700), each replaced atomically."""
    from wizard.core.values.envfiles import atomic_write
    from wizard.core.support.errors import UsageError

    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} is a file, not a folder", "name a folder to write the files into")
    from wizard.core.support.files import make_private_dir

    try:
        # Folders made here are 0700; one that already exists (the user's own) keeps its mode.
        make_private_dir(folder)
        for name, text in texts.items():
            atomic_write(folder / name, text.encode("utf-8"), 0o600)
    except OSError as error:
        raise UsageError(f"cannot write to {folder}: {error.strerror or error}",
                         "choose a folder you can write to") from None
