"""The stack's upgrade steps: SQL a stack declares for one version move, applied once by `launcher upgrade`.

A ``postgres-upgrade`` step names a compose ``service`` and the move it is written for:
``to_image`` (and optionally ``from_image``), shell-style patterns matched against the
image the service ran and the one it moves to. A step whose move is in the plan runs
once the new services are healthy, with the seeds' machinery (each file in one
transaction with its record, checked before any runs) but its own tracking table,
``launcher.applied_upgrades``: a file applied by an earlier run (or a re-run after a
failure) is skipped, and a fresh stack never runs a move it was never on.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Generator, Mapping

from wizard.core.manifest.kinds import step_kind
from wizard.core.seeds.postgres.apply import UPGRADES_TABLE, apply_seeds, resolve_step, step_progress
from wizard.core.support.events import Event
from wizard.core.upgrade.plan import UpgradePlan


def steps_for(stack, plan: UpgradePlan) -> list:
    """The upgrade steps whose version move the plan makes, in manifest order."""
    moves = {change.service: change for change in plan.images}
    chosen = []
    for step in stack.steps:
        if not step_kind(step).at_upgrade:
            continue
        move = moves.get(step.params["service"])
        if move is not None and fnmatchcase(move.new, step.params["to_image"]) \
                and fnmatchcase(move.old, step.params.get("from_image", "*")):
            chosen.append(step)
    return chosen


def run_upgrade_step(stack, step, values: Mapping[str, str]) -> Generator[Event, None, str]:
    """Apply the step's pending files (a runner as ``wizard.core.seeds.steps`` describes)."""
    dsn, directory = resolve_step(stack, step, values)
    return (yield from step_progress(step.name, apply_seeds(dsn, directory, values, step=step.name,
                                                            table=UPGRADES_TABLE)))
