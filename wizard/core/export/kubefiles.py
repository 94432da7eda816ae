"""The Secrets and ConfigMaps a Kubernetes export needs, collected while services are translated.

A file the manifest mounts becomes a ConfigMap key, or a Secret key when the file
holds secrets (a secret's own file such as the Mongo keyfile, or a rendered env
file): the choice is made here, once, so no secret can land in a ConfigMap.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

from wizard.core.export.report import TranslationReport
from wizard.core.export.source import Source

# A ConfigMap or Secret holds at most 1 MiB; leave room for the object around the data.
MAX_BYTES = 900 * 1024
_NAME = re.compile(r"[^a-z0-9-]+")
_KEY = re.compile(r"[^-._a-zA-Z0-9]+")


def k8s_name(text: str) -> str:
    """A DNS-1123 label: lower case letters, digits and dashes, at most 63 characters."""
    return _NAME.sub("-", text.lower()).strip("-")[:63].rstrip("-") or "x"


def data_key(relative: str) -> str:
    """A ConfigMap/Secret key for a relative path (keys cannot hold a slash)."""
    return _KEY.sub("_", relative.replace("/", "__"))


class FileObjects:
    """Secrets and ConfigMaps by name; each is one object in secrets.yaml or configmaps.yaml."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.secrets: dict[str, dict[str, bytes]] = {}
        self.configmaps: dict[str, dict[str, bytes]] = {}

    # -- values ------------------------------------------------------------------------

    def stack_secret(self, name: str) -> None:
        """Every generated secret, under its own name, in one Secret."""
        self.secrets[name] = {key: value.encode() for key, value in self.source.secret_values().items()}

    def service_secret(self, service: str, key: str, value: str) -> str:
        """A value that contains a secret (a DSN with a password): its own key in the service's Secret."""
        name = k8s_name(f"{service}-env")
        self.secrets.setdefault(name, {})[key] = value.encode()
        return name

    # -- files -------------------------------------------------------------------------

    def bind(self, service: str, path: Path, report: TranslationReport) -> dict[str, Any] | None:
        """A pod volume for a bind mount of a file or folder of the stack; None (reported) otherwise."""
        where = f"service {service}"
        if not self.source.inside(path) or not path.exists():
            report.drop(where, f"bind {path}", "outside the stack folder or missing: a cluster node has no such path")
            report.todo(where, f"bind {path}", "give the pod this data another way (a volume, or bake it in the image)")
            return None
        relative = path.resolve().relative_to(self.source.stack.root.resolve()).as_posix()
        if path.is_file():
            content = {data_key(path.name): path.read_bytes()}
            sub_path = data_key(path.name)
        else:
            found = sorted(item for item in path.rglob("*") if item.is_file())
            if any(self.source.secret_file(item) for item in found):
                report.drop(where, f"bind {relative}", "a folder holding secret files is not copied")
                return None
            content = {data_key(item.relative_to(path).as_posix()): item.read_bytes() for item in found}
            sub_path = ""
        if sum(len(data) for data in content.values()) > MAX_BYTES:
            report.drop(where, f"bind {relative}", "more than a ConfigMap can hold (1 MiB)")
            report.todo(where, f"bind {relative}", "bake these files into the image or use a volume")
            return None
        secret = path.is_file() and self.source.secret_file(path)
        name = k8s_name(f"{self.source.project}-{'secret' if secret else 'files'}-{relative}")
        target = self.secrets if secret else self.configmaps
        target.setdefault(name, {}).update(content)
        items = None if sub_path else [{"key": data_key(item.relative_to(path).as_posix()),
                                        "path": item.relative_to(path).as_posix()} for item in found]
        report.changed(where, f"bind {relative}", "became a Secret" if secret else "became a ConfigMap")
        return {"volume": self._volume(name, secret, items), "sub_path": sub_path}

    def declared(self, kind: str, name: str, report: TranslationReport) -> dict[str, Any] | None:
        """A top-level compose secret or config with a ``file``: its Secret (or ConfigMap) volume."""
        declared = ((self.source.config.get(kind) or {}).get(name)) or {}
        where = f"{kind[:-1]} {name}"
        if not declared.get("file"):
            report.todo(where, "source", "not a file: create this Secret/ConfigMap by hand")
            return None
        path = Path(declared["file"])
        if not path.is_file():
            report.todo(where, "file", f"{path} does not exist yet: run `launcher init`, then export again")
            return None
        secret = kind == "secrets"
        object_name = k8s_name(f"{self.source.project}-{kind[:-1]}-{name}")
        (self.secrets if secret else self.configmaps)[object_name] = {data_key(name): path.read_bytes()}
        report.changed(where, "file", "became a Secret" if secret else "became a ConfigMap")
        return {"volume": self._volume(object_name, secret, None), "sub_path": data_key(name)}

    def folder(self, name: str, directory: Path) -> tuple[dict[str, Any], int]:
        """A ConfigMap of every file under ``directory`` (seeds), with items that rebuild the tree."""
        found = sorted(item for item in directory.rglob("*") if item.is_file())
        content = {data_key(item.relative_to(directory).as_posix()): item.read_bytes() for item in found}
        self.configmaps[name] = content
        items = [{"key": data_key(item.relative_to(directory).as_posix()),
                  "path": item.relative_to(directory).as_posix()} for item in found]
        return self._volume(name, False, items), sum(len(data) for data in content.values())

    @staticmethod
    def _volume(name: str, secret: bool, items: list[dict] | None) -> dict[str, Any]:
        if secret:
            body: dict[str, Any] = {"secretName": name, "defaultMode": 0o400}
            key = "secret"
        else:
            body = {"name": name}
            key = "configMap"
        if items is not None:
            body["items"] = items
        return {"name": k8s_name(f"v-{name}")[:63], key: body}

    # -- objects -----------------------------------------------------------------------

    def objects(self) -> tuple[list[dict], list[dict]]:
        """(Secrets, ConfigMaps) as Kubernetes objects; text as stringData/data, binary base64."""
        labels = {"app.kubernetes.io/part-of": k8s_name(self.source.project)}
        secrets = [_object("Secret", name, content, labels, text_key="stringData")
                   for name, content in self.secrets.items()]
        configmaps = [_object("ConfigMap", name, content, labels, text_key="data")
                      for name, content in self.configmaps.items()]
        return secrets, configmaps


def _object(kind: str, name: str, content: dict[str, bytes], labels: dict[str, str], *, text_key: str) -> dict:
    text: dict[str, str] = {}
    binary: dict[str, str] = {}
    for key, data in content.items():
        try:
            text[key] = data.decode("utf-8")
        except UnicodeDecodeError:
            binary[key] = base64.b64encode(data).decode("ascii")
    doc: dict[str, Any] = {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "labels": labels}}
    if kind == "Secret":
        doc["type"] = "Opaque"
    if text:
        doc[text_key] = text
    if binary:
        doc["data" if kind == "Secret" else "binaryData"] = binary
    return doc
