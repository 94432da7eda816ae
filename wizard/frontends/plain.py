"""Plain line output for pipes, CI and --plain; --json turns the same events into JSON lines."""

from __future__ import annotations

from wizard.core.plan import Plan


def render_plan(plan: Plan) -> str:
    """The plan as lines for a terminal or a log."""
    lines = [f"stack {plan.stack}: {len(plan.waves)} wave(s)"]
    for wave in plan.waves:
        lines.append(f"wave {wave.index}: {', '.join(group.name for group in wave.groups)}")
        for step in wave.steps:
            lines.append(f"  then {step.name} ({step.kind}, after {step.after})")
    for skip in plan.skipped:
        lines.append(f"skipped {skip.group}: {skip.reason}")
    return "\n".join(lines)
