"""The start order: waves of groups that can start together, each followed by its init steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from wizard.core.support.errors import UsageError
from wizard.core.manifest.graph import reachable
from wizard.core.manifest.kinds import step_kind
from wizard.core.manifest.stack import Group, Stack, Step
from wizard.core.support.files import shown_path


@dataclass(frozen=True)
class Skipped:
    """A group left out of this run, and why (shown to the user as a note)."""

    group: str
    reason: str


@dataclass(frozen=True)
class Wave:
    """Groups that start together; their init steps run once all of them are healthy."""

    index: int
    groups: tuple[Group, ...]
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True)
class Plan:
    stack: str
    waves: tuple[Wave, ...]
    skipped: tuple[Skipped, ...] = ()
    profiles: tuple[str, ...] = field(default=())

    @property
    def groups(self) -> tuple[Group, ...]:
        return tuple(group for wave in self.waves for group in wave.groups)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (paths relative to the stack folder are kept short)."""
        return {
            "stack": self.stack,
            "profiles": list(self.profiles),
            "waves": [
                {
                    "wave": wave.index,
                    "groups": [
                        {"name": g.name, "compose": [p.name for p in g.compose_files], "after": list(g.after)}
                        for g in wave.groups
                    ],
                    "steps": [{"name": s.name, "kind": s.kind, "after": s.after} for s in wave.steps],
                }
                for wave in self.waves
            ],
            "skipped": [{"group": s.group, "reason": s.reason} for s in self.skipped],
        }


def build_plan(stack: Stack, only: Iterable[str] = (), profiles: Iterable[str] = ()) -> Plan:
    """Order the stack's groups into waves.

    ``only`` limits the run to the named groups and everything they come after.
    A group whose ``requires_paths`` are missing is skipped, and so is every group
    that comes after it, since its dependency will not be there.
    """
    selected = _with_dependencies(stack, list(only))
    skipped: dict[str, str] = {}
    depth: dict[str, int] = {}
    for group in _topological(stack):
        if group.name not in selected:
            continue
        missing = group.missing_paths()
        if missing:
            shown = ", ".join(shown_path(path, stack.root, dot=True) for path in missing)
            skipped[group.name] = f"missing {shown} (requires_paths)"
            continue
        blocked = [dep for dep in group.after if dep in skipped]
        if blocked:
            skipped[group.name] = f"comes after skipped group {blocked[0]}"
            continue
        depth[group.name] = 1 + max((depth[dep] for dep in group.after), default=0)

    waves = []
    for index in range(1, max(depth.values(), default=0) + 1):
        groups = tuple(stack.group(name) for name, level in depth.items() if level == index)
        names = {group.name for group in groups}
        steps = tuple(step for step in stack.steps if step.after in names and not step_kind(step).at_upgrade)
        waves.append(Wave(index=index, groups=groups, steps=steps))
    return Plan(
        stack=stack.name,
        waves=tuple(waves),
        skipped=tuple(Skipped(name, reason) for name, reason in skipped.items()),
        profiles=tuple(profiles),
    )


def check_profiles(stack: Stack, profiles: Iterable[str]) -> None:
    """UsageError for a profile no group declares: compose would silently start nothing for it."""
    declared = sorted({profile for group in stack.groups for profile in group.profiles})
    for name in profiles:
        if name not in declared:
            hint = (f"use one of: {', '.join(declared)}" if declared
                    else "this stack declares none (`profiles` under [groups.NAME] in stack.toml)")
            raise UsageError(f"unknown profile {name!r}", hint)


def _with_dependencies(stack: Stack, only: list[str]) -> set[str]:
    known = {group.name for group in stack.groups}
    if not only:
        return known
    for name in only:
        if name not in known:
            raise UsageError(f"unknown group {name!r}", f"use one of: {', '.join(sorted(known))}")
    return reachable(only, lambda name: stack.group(name).after)


def _topological(stack: Stack) -> list[Group]:
    """Groups with every dependency before its dependents; manifest order otherwise."""
    placed: list[Group] = []
    done: set[str] = set()
    remaining = list(stack.groups)
    while remaining:
        ready = [group for group in remaining if all(dep in done for dep in group.after)]
        # load_stack has already rejected cycles, so something is always ready.
        for group in ready:
            placed.append(group)
            done.add(group.name)
        remaining = [group for group in remaining if group.name not in done]
    return placed

