"""Where `up`, `status` and `down` act: the local compose project, or the engine's Docker Swarm.

Both are ``Engine`` implementations (wizard.core.docker.protocol) behind the one orchestration in ``launch.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from wizard.core.docker.composeengine import ComposeEngine
from wizard.core.manifest.stack import Stack

if TYPE_CHECKING:  # annotations only: its Protocol classes cost `status` CPU to build
    from wizard.core.docker.protocol import DirectEngine

TARGETS = ("local", "swarm")


def engine_for(target: str, stack: Stack, *, profiles: Sequence[str] = ()) -> DirectEngine:
    if target == "swarm":
        from wizard.core.targets.swarm import SwarmEngine

        return SwarmEngine(stack, profiles=profiles)
    return ComposeEngine(stack, profiles=profiles)
