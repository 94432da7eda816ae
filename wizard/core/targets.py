"""Where `up`, `status` and `down` act: the local compose project, or the engine's Docker Swarm.

Both are ``Engine`` implementations behind the one orchestration in ``launch.py``.
"""

from __future__ import annotations

from typing import Sequence

from wizard.core.engine import Engine
from wizard.core.stack import Stack

TARGETS = ("local", "swarm")


def engine_for(target: str, stack: Stack, *, profiles: Sequence[str] = ()) -> Engine:
    if target == "swarm":
        from wizard.core.export.swarm import SwarmEngine

        return SwarmEngine(stack, profiles=profiles)
    return Engine(stack, profiles=profiles)
