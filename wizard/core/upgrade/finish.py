"""`launcher upgrade --finish`: remove the old volumes an upgrade kept (the caller asks first)."""

from __future__ import annotations

from wizard.core.support.lock import holding_lock
from wizard.core.upgrade.run import pending_old_volumes


def kept_volumes(stack, engine) -> list[str]:
    return pending_old_volumes(stack, engine)


@holding_lock("upgrade --finish")
def finish(stack, engine) -> list[str]:
    """Remove every kept old volume the engine shows as such (evidence.py); returns their names."""
    removed = []
    for name in kept_volumes(stack, engine):
        engine.client.volumes.get(name).remove()
        removed.append(name)
    return removed
