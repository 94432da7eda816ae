"""The words of `launcher seed status`: each seed file's state, then the counts."""

from __future__ import annotations

from typing import Sequence

STATES = ("applied", "pending", "changed", "missing")


def render_seed_status(states: Sequence) -> list[str]:
    """One aligned line per seed file (``wizard.core.seeds.postgres.apply.SeedState``), then a count of each state."""
    width = max((len(state.path) for state in states), default=0)
    lines = []
    for state in states:
        when = f"  {state.applied_at:%Y-%m-%d %H:%M}" if state.applied_at else ""
        lines.append(f"{state.path:<{width}}  {state.state}{when}")
    counts = {name: sum(state.state == name for state in states) for name in STATES}
    lines.append(", ".join(f"{count} {name}" for name, count in counts.items() if count) or "no seed files")
    return lines
