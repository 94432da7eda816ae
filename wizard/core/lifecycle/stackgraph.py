"""The stack as a graph to draw: groups in their waves, each group's services and their
`depends_on`, the init steps after their group.

Built from the plan, so a picture shows the order `up` follows (groups left out of this
run included, with the reason), and from the compose model when there is one (compose
reads the files once `init` wrote their env file); without it, groups and steps alone.
`launcher plan --format mermaid` draws it (``wizard.frontends.mermaid``).
"""

from __future__ import annotations

from dataclasses import dataclass

from wizard.core.docker.model import ComposeModel
from wizard.core.manifest.kinds import step_kind
from wizard.core.manifest.plan import Plan
from wizard.core.manifest.stack import Stack


@dataclass(frozen=True)
class ServiceNode:
    """A compose service and the services it `depends_on` (of those the model knows)."""

    name: str
    depends_on: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()  # of depends_on, `required: false`: compose goes on without them
    oneshot: bool = False


@dataclass(frozen=True)
class GroupNode:
    """A group: the wave it starts in, the groups it comes after, its services."""

    name: str
    wave: int  # 0 when the group is left out of this run
    after: tuple[str, ...] = ()
    services: tuple[ServiceNode, ...] = ()
    skipped: str = ""  # why it is left out of this run ("" when it starts)


@dataclass(frozen=True)
class StepNode:
    """An init step, run once its group is healthy."""

    name: str
    kind: str
    after: str


@dataclass(frozen=True)
class StackGraph:
    stack: str
    groups: tuple[GroupNode, ...]
    steps: tuple[StepNode, ...]
    with_services: bool  # the compose model was read: each group lists its services


def stack_graph(stack: Stack, plan: Plan, model: ComposeModel | None = None) -> StackGraph:
    """The plan's groups (in wave order, then those it skipped) with their services and steps."""
    waves = {group.name: wave.index for wave in plan.waves for group in wave.groups}
    skipped = {skip.group: skip.reason for skip in plan.skipped}
    names = [*waves, *skipped]
    groups = tuple(GroupNode(name=name, wave=waves.get(name, 0),
                             after=tuple(dep for dep in stack.group(name).after if dep in names),
                             services=_services(model, name), skipped=skipped.get(name, ""))
                   for name in names)
    # The steps `up` runs (those of an upgrade only run in `launcher upgrade`), of the groups drawn.
    steps = tuple(StepNode(step.name, step.kind, step.after) for step in stack.steps
                  if step.after in names and not step_kind(step).at_upgrade)
    return StackGraph(stack=plan.stack, groups=groups, steps=steps, with_services=model is not None)


def _services(model: ComposeModel | None, group: str) -> tuple[ServiceNode, ...]:
    if model is None:
        return ()
    known = set(model.names)
    return tuple(ServiceNode(name=spec.name, depends_on=tuple(dep for dep in spec.depends_on if dep in known),
                             optional=tuple(dep for dep in spec.optional_deps if dep in known),
                             oneshot=spec.oneshot)
                 for spec in model.in_groups([group]))
