"""The manifest and the compose files agree on order: a `depends_on` never points to a later group.

`up` starts groups wave by wave and creates each wave's containers with `--no-deps`,
so a compose `depends_on` is honoured only when its dependency's group starts
first (comes in the dependant's `after`, directly or through another group) or is
the same group. Anything else is a manifest error, found before anything starts,
rather than reordering groups behind the manifest's back: `launcher plan` would
then show an order `up` does not follow, and init steps would run at another time
than the manifest says. A `required: false` dependency is left out, as compose
goes on without it.
"""

from __future__ import annotations

from pathlib import Path

from wizard.core.docker.model import ComposeModel
from wizard.core.manifest.graph import reachable
from wizard.core.manifest.stack import Stack
from wizard.core.manifest.tomllines import LineFinder
from wizard.core.support.errors import ConfigError, ManifestInvalid
from wizard.core.support.files import shown_path


def check_dependency_order(stack: Stack, model: ComposeModel) -> None:
    """ManifestInvalid (exit 3) naming each `depends_on` whose dependency's group does not start first."""
    before = {group.name: reachable(group.after, lambda name: stack.group(name).after) for group in stack.groups}
    lines: LineFinder | None = None
    problems = []
    for spec in model.services:
        for dependency in spec.depends_on:
            if dependency in spec.optional_deps or dependency not in model.names:
                continue
            theirs = model.group_of(dependency)
            if not spec.group or not theirs or theirs == spec.group or theirs in before[spec.group]:
                continue
            if lines is None:
                lines = LineFinder(stack.manifest.read_text(encoding="utf-8"))
            line = lines.line_of(("groups", spec.group), "after") or lines.line_of(("groups", spec.group))
            if spec.group in before[theirs]:
                hint = (f"group {theirs} comes after {spec.group}: move {dependency} or {spec.name} so the "
                        f"dependency's group starts first")
            else:
                hint = f'add "{theirs}" to `after` in [groups.{spec.group}]'
            problems.append(ConfigError(
                f"service {spec.name} (group {spec.group}) depends on {dependency} (group {theirs}), "
                f"which does not start before it", hint,
                where=f"{shown_path(stack.manifest, Path.cwd())}:{line}"))
    if problems:
        raise ManifestInvalid(problems)
