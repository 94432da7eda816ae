"""The stack's graph as a mermaid flowchart (`launcher plan --format mermaid`), for GitHub and the docs.

Start order runs left to right: an arrow goes from what starts first to what waits for
it (a group to the groups that come after it, a service to those that `depends_on` it,
dotted when `required: false`, a group to its init steps). Node ids are made here
(group1, service1, step1), never taken from a name, and every name is shown in a quoted
label with mermaid's entity codes for the characters that could end or mark up a label:
no group, service or step name can break the graph or add to it.
"""

from __future__ import annotations

import re

from wizard.core.lifecycle.stackgraph import StackGraph

# What could end a quoted label, start an entity code, or be read as HTML or markdown.
_UNSAFE = re.compile(r"[\"#&<>`\\]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def label(*lines: str) -> str:
    """A quoted mermaid label of these lines: unsafe characters as entity codes (#34; for "), no line breaks
    but the label's own."""
    escaped = (_UNSAFE.sub(lambda match: f"#{ord(match.group())};", _CONTROL.sub(" ", line)) for line in lines)
    return '"' + "<br/>".join(escaped) + '"'


def render_mermaid(graph: StackGraph) -> str:
    """The graph as mermaid text (a `flowchart LR`), one statement per line."""
    groups = {group.name: f"group{number}" for number, group in enumerate(graph.groups, 1)}
    services = {service.name: f"service{number}" for number, service
                in enumerate((service for group in graph.groups for service in group.services), 1)}
    steps = {step.name: f"step{number}" for number, step in enumerate(graph.steps, 1)}

    lines = ["flowchart LR", f"  %% stack {graph.stack}: what starts first on the left"]
    for group in graph.groups:
        title = label(group.name, f"skipped: {group.skipped}" if group.skipped else f"wave {group.wave}")
        if not group.services:
            lines.append(f"  {groups[group.name]}[{title}]")
            continue
        lines.append(f"  subgraph {groups[group.name]}[{title}]")
        for service in group.services:
            # A one-shot job (runs to completion) is drawn round-ended.
            shape = "([{}])" if service.oneshot else "[{}]"
            lines.append(f"    {services[service.name]}{shape.format(label(service.name))}")
        lines.append("  end")
    lines += [f"  {steps[step.name]}{{{{{label(step.name, step.kind)}}}}}" for step in graph.steps]
    for group in graph.groups:
        lines += [f"  {groups[dep]} --> {groups[group.name]}" for dep in group.after]
    for group in graph.groups:
        for service in group.services:
            lines += [f"  {services[dep]} {'-.->' if dep in service.optional else '-->'} {services[service.name]}"
                      for dep in service.depends_on if dep in services]
    lines += [f"  {groups[step.after]} --> {steps[step.name]}" for step in graph.steps]
    skipped = {group.name for group in graph.groups if group.skipped}
    left_out = [groups[name] for name in groups if name in skipped]
    left_out += [steps[step.name] for step in graph.steps if step.after in skipped]
    if left_out:
        lines += ["  classDef skipped stroke-dasharray: 5 5", f"  class {','.join(left_out)} skipped"]
    return "\n".join(lines)
