"""Where `up`, `status` and `down` act: the local compose project, or the engine's Docker Swarm.

Both are engines (``ComposeEngine``, ``SwarmEngine``) behind the one orchestration in ``launch.py``.
"""

from __future__ import annotations

from typing import Sequence

from wizard.core.docker.composeengine import ComposeEngine
from wizard.core.stack import Stack

TARGETS = ("local", "swarm")


def engine_for(target: str, stack: Stack, *, profiles: Sequence[str] = ()) -> ComposeEngine:
    if target == "swarm":
        from wizard.core.export.swarm import SwarmEngine

        return SwarmEngine(stack, profiles=profiles)
    return ComposeEngine(stack, profiles=profiles)
