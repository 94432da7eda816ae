"""`launcher upgrade --finish`: remove the old volumes an upgrade kept (the caller asks first)."""

from __future__ import annotations

from wizard.core.docker.composeengine import UPGRADE_OVERRIDE
from wizard.core.support.lock import holding_lock
from wizard.core.upgrade.run import pending_old_volumes


def kept_volumes(stack, engine) -> list[str]:
    return pending_old_volumes(engine.client, stack.root / UPGRADE_OVERRIDE)


@holding_lock("upgrade --finish")
def finish(stack, engine) -> list[str]:
    """Remove every kept old volume; returns their names. No container of the stack mounts them any more."""
    removed = []
    for name in kept_volumes(stack, engine):
        engine.client.volumes.get(name).remove()
        removed.append(name)
    return removed
