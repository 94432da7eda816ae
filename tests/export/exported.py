"""Stacks exported for a cluster by the real `launcher init` and `launcher export`, as a user runs them.

Both the bundled stack (a copy of the repository's stack.toml, compose/, envtemplates/,
seeds/, with stand-in ./stackend and ./stackweb folders so the app and web groups are
not skipped, every profile enabled) and the engine test stack. `docker compose config`
needs Compose v2 but no engine.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from dotenv import dotenv_values

from tests.conftest import launcher_command

REPO = Path(__file__).resolve().parents[2]
ENGINE_FIXTURE = REPO / "tests" / "fixtures" / "engine_stack"
BUNDLED_PROFILES = ("realtime", "imgproxy", "functions", "analytics", "tools", "unstructured")


@dataclass
class Exported:
    root: Path  # the stack folder
    folder: Path  # what export wrote
    report: dict[str, Any]
    stdout: str

    def files(self) -> dict[str, list[dict[str, Any]]]:
        return {path.name: [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
                for path in sorted(self.folder.iterdir())}

    def docs(self) -> list[tuple[str, dict[str, Any]]]:
        return [(name, doc) for name, docs in self.files().items() for doc in docs]

    def secret_values(self) -> dict[str, str]:
        """Every generated secret's value, from the store `launcher init` wrote."""
        from wizard.core.manifest.stack import load_stack

        stored = dotenv_values(self.root / ".launcher" / "values.env")
        stack = load_stack(self.root / "stack.toml")
        return {spec.name: stored[spec.name] for spec in stack.secrets if stored.get(spec.name)}


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*launcher_command(), *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL, env={**__import__("os").environ, "NO_COLOR": "1"})


def bundled_copy(base: Path) -> Path:
    root = base / "bundled"
    root.mkdir()
    for part in ("stack.toml", "compose", "envtemplates", "seeds"):
        source = REPO / part
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, root / part)
    (root / "stackend").mkdir()
    (root / "stackweb").mkdir()
    return root


def engine_copy(base: Path) -> Path:
    root = base / "engine"
    shutil.copytree(ENGINE_FIXTURE, root)
    return root


def export(root: Path, target: str, folder: Path, profiles: tuple[str, ...] = ()) -> Exported:
    result = run("init", "--non-interactive", cwd=root)
    assert result.returncode == 0, result.stderr
    flags = [f"--profile={name}" for name in profiles]
    result = run("export", target, str(folder), "--json", *flags, cwd=root)
    assert result.returncode == 0, result.stderr
    return Exported(root=root, folder=folder, report=json.loads(result.stdout), stdout=result.stdout)
