"""Where `up`, `status` and `down` act: the local compose project, or the engine's Docker Swarm.

Both are ``Engine`` implementations (wizard.core.docker.protocol) behind the one orchestration in ``launch.py``.
"""

from __future__ import annotations

from typing import Sequence

from wizard.core.docker.composeengine import ComposeEngine
from wizard.core.docker.protocol import DirectEngine
from wizard.core.stack import Stack

TARGETS = ("local", "swarm")


def engine_for(target: str, stack: Stack, *, profiles: Sequence[str] = ()) -> DirectEngine:
    if target == "swarm":
        from wizard.core.export.swarm import SwarmEngine

        return SwarmEngine(stack, profiles=profiles)
    return ComposeEngine(stack, profiles=profiles)
