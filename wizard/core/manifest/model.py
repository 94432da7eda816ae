"""The stack manifest as frozen dataclasses: groups, steps, secrets, settings, outputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping


@dataclass(frozen=True)
class Group:
    """A set of compose services started together; one or more compose files."""

    name: str
    compose_files: tuple[Path, ...]
    after: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    requires_paths: tuple[Path, ...] = ()
    description: str = ""

    def missing_paths(self) -> tuple[Path, ...]:
        """Required source paths that are absent: the group is skipped when any is."""
        return tuple(path for path in self.requires_paths if not path.exists())


@dataclass(frozen=True)
class Step:
    """An init step run once its group is healthy (seeds, replica-set init, ...)."""

    name: str
    kind: str
    after: str
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    description: str = ""


@dataclass(frozen=True)
class SecretSpec:
    """A generated value: never typed by a user, never printed unless asked."""

    name: str
    kind: str
    length: int = 0
    signed_with: str = ""  # jwt: the secret that signs it
    role: str = ""  # jwt: the `role` claim
    issuer: str = ""  # jwt: the `iss` claim
    expires_days: int = 0  # jwt: lifetime
    path: Path | None = None  # mongo-keyfile: where the file is written
    description: str = ""
    apply: str = ""  # the init step whose connection reaches the server storing it (rotate --apply)
    roles: tuple[str, ...] = ()  # apply: the Postgres roles whose password it is
    prefix: str = ""  # api-key: e.g. "sb_publishable_"


@dataclass(frozen=True)
class SettingSpec:
    """A value the user may choose (port, URL, username, switch), with a default."""

    name: str
    kind: str
    default: str | None = None
    choices: tuple[str, ...] = ()
    description: str = ""
    # Defaults of earlier versions of the stack: a stored value equal to one was never chosen,
    # so `init` moves it to today's default (and says so).
    former_defaults: tuple[str, ...] = ()

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True)
class Output:
    """An env file rendered from a template in ``envtemplates/``."""

    name: str
    template: Path
    path: Path
    description: str = ""


@dataclass(frozen=True)
class Stack:
    """The whole manifest, with every path resolved against the manifest's folder."""

    name: str
    root: Path
    manifest: Path
    groups: tuple[Group, ...]
    steps: tuple[Step, ...]
    secrets: tuple[SecretSpec, ...]
    settings: tuple[SettingSpec, ...]
    outputs: tuple[Output, ...]
    compose_env_output: str  # the output passed to compose as --env-file
    description: str = ""
    instance: str = ""  # this checkout's instance name (manifest/instance.py decides it)

    @property
    def project(self) -> str:
        """The compose project name: the instance's, so each checkout has its own containers and volumes."""
        return self.instance or self.name

    def group(self, name: str) -> Group:
        for group in self.groups:
            if group.name == name:
                return group
        raise KeyError(name)

    def secret(self, name: str) -> SecretSpec:
        for secret in self.secrets:
            if secret.name == name:
                return secret
        raise KeyError(name)

    def output(self, name: str) -> Output:
        for output in self.outputs:
            if output.name == name:
                return output
        raise KeyError(name)

    @property
    def compose_env_file(self) -> Path:
        return self.output(self.compose_env_output).path

    @property
    def value_names(self) -> frozenset[str]:
        """Every name a template or seed may reference as ``${NAME}``."""
        return frozenset(s.name for s in self.secrets) | frozenset(s.name for s in self.settings)
