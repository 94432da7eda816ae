"""The Docker boundary's shape: small modules, no import circle through it, one definition each.

The import graph is read from the source (every import statement, those inside
functions too, as grimp reads it), so a lazy import back into the package counts.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

WIZARD = REPO / "wizard"
DOCKER = WIZARD / "core" / "docker"


def module_of(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Each wizard module -> the wizard modules it imports anywhere in its source."""
    modules = {module_of(path): path for path in WIZARD.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from package import module` imports the module; `from module import name` the module.
                targets.update(f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules
                               else node.module for alias in node.names)
        graph[name] = {target for target in targets if target in modules and target != name}
    return graph


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for target in graph[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_no_import_circle_runs_through_the_docker_package():
    assert "a" in reachable({"a": {"b"}, "b": {"a"}}, "a")  # the check sees a circle when there is one
    graph = import_graph()
    docker = sorted(name for name in graph if name.startswith("wizard.core.docker"))
    assert "wizard.core.docker.composeengine" in docker
    assert [name for name in docker if name in reachable(graph, name)] == []


def test_the_old_engine_modules_are_gone_and_nothing_names_them():
    assert not (WIZARD / "core" / "engine.py").exists() and not (WIZARD / "core" / "dockerapi.py").exists()
    graph = import_graph()
    assert not any(target in ("wizard.core.engine", "wizard.core.dockerapi")
                   for targets in graph.values() for target in targets)


def test_each_docker_module_is_small():
    sizes = {path.name: len(path.read_text().splitlines()) for path in DOCKER.glob("*.py")}
    assert sizes and {name: lines for name, lines in sizes.items() if lines > 450} == {}


def test_pull_policies_are_defined_once():
    definitions = [path.relative_to(REPO).as_posix() for path in WIZARD.rglob("*.py")
                   for node in ast.walk(ast.parse(path.read_text()))
                   if isinstance(node, ast.Assign)
                   and any(isinstance(target, ast.Name) and target.id == "PULL_POLICIES" for target in node.targets)]
    assert definitions == ["wizard/core/docker/composerun.py"]
