"""What compose would create each service from now: its config hash, asked of compose, kept by content.

Compose writes ``com.docker.compose.config-hash`` on every container it creates and, on each
`up`, recreates a container whose label differs from the hash of the service as the files
say now (v2.40.3 ``pkg/compose/convergence.go`` ``mustRecreate``; ``hash.go``: sha256 over
Go's JSON of compose-go's struct, without build, pull_policy, scale, replicas, depends_on and
profiles). That hash is compose's to compute, never ours: ``docker compose config --hash '*'``.

One catch at 2.40.3: ``config --hash`` hashes the service before its ``env_file:`` is merged
into its environment, while `up` hashes it after (fixed upstream later, docker/compose#14001),
so for a service with an env file the two never agree. Compose's own resolved config (the
env files merged, values interpolated and escaped) is therefore handed back to compose on
stdin (never written to disk: it holds secrets) and hashed there: the answer is the label
`up` writes, for every service.

The answer is kept in the disk cache keyed on the content of everything it depends on (the
compose files, the upgrade override, the env file, each service's env files, the shell
variables the files name, compose's version, project and profiles), so a no-op `up` asks
compose nothing. With it goes a digest of each built service's resolved ``build:`` section
(its args included, never in clear), which `up` compares for ``pull_policy: build``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Protocol, Sequence

from wizard.core.support.cache import cache_read, cache_write, content_fingerprint

if TYPE_CHECKING:
    from wizard.core.docker.composecli import ComposeCLI
    from wizard.core.docker.model import ComposeModel
    from wizard.core.manifest.stack import Stack

# A variable a compose or env file names: the shell's value wins over the env file's.
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
# A `${...}` in an env_file path: any text (the files of every value are in the key).
_INTERPOLATED = re.compile(r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*")
_VERSION = 1  # the cached shape's version


class HashedProject(Protocol):
    """What the hash needs of an engine (``ComposeEngine`` has it): its files, its compose and its config."""

    stack: Stack
    project: str
    profiles: tuple[str, ...]

    @property
    def compose(self) -> ComposeCLI: ...

    def compose_files(self) -> list[Path]: ...

    def compose_command(self, *args: str, files: Sequence[Path] | None = None) -> list[str]: ...

    def resolved_config(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Wanted:
    """Per service of the active profiles: compose's config hash now, and a digest of its build section."""

    hashes: Mapping[str, str] = field(default_factory=dict)
    builds: Mapping[str, str] = field(default_factory=dict)
    # Compose's words when it would not hash (then no hash is compared: `up` goes on as before, and says so).
    problem: str = ""


def env_file_paths(model: ComposeModel) -> list[Path]:
    """Every file the services' `env_file:` entries may name (a `${...}` in a path matches any text)."""
    found: set[str] = set()
    for spec in model.services:
        for pattern in spec.env_files:
            if "$" in pattern:
                import glob

                found.update(glob.glob(_INTERPOLATED.sub("*", pattern)))
            else:
                found.add(pattern)
    return [Path(path) for path in sorted(found)]


def read_texts(paths: Sequence[Path]) -> list[str]:
    texts = []
    for path in paths:
        try:
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            texts.append("")
    return texts


def shell_overrides(texts: Sequence[str]) -> list[str]:
    """Digests of the shell variables that take part in interpolation: those the texts name, COMPOSE_*, DOCKER_*."""
    names = {name for text in texts for name in _VARIABLE.findall(text)}
    names |= {name for name in os.environ if name.startswith(("COMPOSE_", "DOCKER_"))}
    return [hashlib.sha256(f"{name}={os.environ[name]}".encode()).hexdigest()[:16]
            for name in sorted(names) if name in os.environ]


def inputs_key(engine: HashedProject, model: ComposeModel) -> str:
    """A key over everything compose's hashes depend on, by content."""
    paths = [engine.stack.compose_env_file, *engine.compose_files(), *env_file_paths(model)]
    texts = read_texts(paths)
    return content_fingerprint({"hashes": _VERSION, "compose": list(engine.compose.argv),
                                "version": engine.compose.version, "project": engine.project,
                                "profiles": list(engine.profiles),
                                "environ": shell_overrides(texts)}, paths)


def wanted(engine: HashedProject, model: ComposeModel) -> Wanted:
    """Compose's config hash of each service as the files say now (cached by ``inputs_key``)."""
    key = inputs_key(engine, model)
    cache_name = "hashes-" + hashlib.sha256(str(engine.stack.root).encode()).hexdigest()[:16]
    cached = cache_read(cache_name, key)
    if isinstance(cached, dict) and isinstance(cached.get("hashes"), dict):
        return Wanted(dict(cached["hashes"]), dict(cached.get("builds") or {}))
    resolved = engine.resolved_config()
    builds = {name: _digest(service["build"]) for name, service in (resolved.get("services") or {}).items()
              if service.get("build")}
    answer, problem = ask_compose(engine, resolved)
    if problem:
        return Wanted({}, builds, problem)
    cache_write(cache_name, key, {"hashes": answer, "builds": builds})
    return Wanted(answer, builds)


def ask_compose(engine: HashedProject, resolved: Mapping[str, Any]) -> tuple[dict[str, str], str]:
    """``config --hash '*'`` over compose's own resolved config, given on stdin (see the module's words);
    (hashes, "") or ({}, compose's last line) when it refused."""
    import subprocess

    # Without `depends_on`, which the hash leaves out anyway (hash.go): the resolved config keeps an
    # entry `required: false` to a service of a profile not enabled, which it no longer declares.
    services = {name: {key: value for key, value in service.items() if key != "depends_on"}
                for name, service in (resolved.get("services") or {}).items()}
    argv = engine.compose_command("config", "--hash", "*", files=[Path("-")])
    result = subprocess.run(argv, cwd=engine.stack.root, input=json.dumps({**resolved, "services": services}),
                            capture_output=True, text=True)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout or f"exit code {result.returncode}").strip().splitlines()
        return {}, lines[-1] if lines else f"exit code {result.returncode}"
    hashes = {}
    for line in result.stdout.splitlines():
        name, _, digest = line.strip().partition(" ")
        if name and digest:
            hashes[name] = digest
    return hashes, ""


def _digest(section: Any) -> str:
    return hashlib.sha256(json.dumps(section, sort_keys=True).encode()).hexdigest()
