"""After a MongoDB major move, `launcher upgrade` raises the feature-compatibility version.

Which servers: those the stack's admin-node steps (``mongo-replica-set``) connect to, for each
step that follows a group whose service images the plan changed. Last of all, once every new service is
healthy and the upgrade is done: a raised version cannot be undone by running the previous
binary again, so nothing that could still roll back comes after it. A failure is reported
with the command to run by hand; the upgrade itself stands (the new server runs fine at the
old version).
"""

from __future__ import annotations

from typing import Iterator

from wizard.core.manifest.kinds import step_kind
from wizard.core.seeds.mongo.featurecompat import DEFAULT_TIMEOUT, raise_feature_compatibility
from wizard.core.seeds.steps import step_seconds, step_text
from wizard.core.support.errors import SeedFailed
from wizard.core.support.events import Event
from wizard.core.upgrade.events import UpgradeStep
from wizard.core.upgrade.plan import UpgradePlan

STEP = "feature-compatibility"


def replica_set_steps(stack, plan: UpgradePlan, specs) -> list:
    """The admin-node steps after a group whose images the plan changes, in manifest order."""
    moved = {spec.group for spec in specs if spec.name in {change.service for change in plan.images}}
    return [step for step in stack.steps if step_kind(step).admin_node and step.after in moved]


def raise_after_upgrade(stack, engine, plan: UpgradePlan) -> Iterator[Event]:
    steps = replica_set_steps(stack, plan, engine.model().services)
    if not steps:
        return
    from wizard.core.values.resolution import current_values

    values = current_values(stack)
    for step in steps:
        yield UpgradeStep(step=STEP, detail=f"{step.name}: the server's feature compatibility")
        try:
            summary = yield from raise_feature_compatibility(step_text(step, values, "uri"),
                                                             timeout=step_seconds(step, "timeout", DEFAULT_TIMEOUT),
                                                             step=step.name)
        except SeedFailed as error:
            yield UpgradeStep(step=STEP, detail=f"{step.name}: not raised ({error.one_line()})")
            continue
        yield UpgradeStep(step=STEP, detail=f"{step.name}: {summary}")
