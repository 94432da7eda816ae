"""Containers made before their wave starts, so a wave only starts containers (as compose does).

Compose creates every container of a run before it starts the first. `up` does better
on a cold start: the first wave's containers are created at once, in one compose run;
the later waves' in a second compose run in the background, begun as soon as the first
wave's containers have been started. That run then overlaps the first wave's wait for
its healthchecks (time the engine spends idle, for `up`) instead of coming before the
first start. A later wave waits for that run to end before it starts anything.

When compose refuses to create (a bad mount, an image it cannot pull), nothing is
reported here: those waves run `compose up` as before, and its own words say why.
"""

from __future__ import annotations

import time
from typing import Callable, Sequence, cast

from wizard.core.docker.containers import ContainerState
from wizard.core.docker.model import ComposeModel
from wizard.core.docker.protocol import CreatesAhead, Engine, Run
from wizard.core.plan import Plan
from wizard.core.readiness import READY, readiness

_DONE_POLL = 0.05  # seconds between looks at the background run, when a wave must wait for it


class CreatedAhead:
    """The containers made ahead for one `up`: which services they cover, and how to undo them."""

    def __init__(self, engine: CreatesAhead, first: Sequence[str], later: Sequence[str], new: Sequence[str], *,
                 pull: str, sleep: Callable[[float], None]) -> None:
        self._engine = engine
        self._later = list(later)
        self._pull = pull
        self._sleep = sleep
        self._first = set(first)
        self._first_made = not first or engine.create(first, pull=pull)
        self._later_run: Run | None = None
        # Services that had no container before this `up`: what `undo` may remove.
        self.new = list(new)

    def begin_later(self) -> None:
        """Start creating the later waves' containers in the background (once; nothing when there are none)."""
        if self._later and self._later_run is None:
            self._later_run = self._engine.create_in_background(self._later, pull=self._pull)

    def made(self, services: Sequence[str]) -> bool:
        """Whether these services' containers were made ahead (waits for the background run when it has them)."""
        if not any(name in self._later for name in services):
            return self._first_made
        self.begin_later()
        run = cast(Run, self._later_run)  # begun just now if it was not: these services are later ones
        while not run.done():
            self._sleep(_DONE_POLL)
        return run.returncode == 0

    def undo(self) -> None:
        """`up` stopped short: stop the background run, remove what was made for waves never started."""
        if self._later_run is not None:
            self._later_run.cancel()
        if self.new:
            self._engine.remove_unstarted(self.new)


def create_ahead(engine: Engine, model: ComposeModel, plan: Plan, states: Sequence[ContainerState] | None, *,
                 pull: str, sleep: Callable[[float], None] = time.sleep) -> CreatedAhead | None:
    """Create the first wave's containers now, ready the later ones' (see the module's words).

    Only services not ready yet are created. None when the engine cannot create ahead
    (another target, the test fake), or without a list of the project's containers.
    """
    if not isinstance(engine, CreatesAhead) or states is None:
        return None
    present = {}
    for container in sorted(states, key=lambda c: c.name):
        present.setdefault(container.service, container)
    waves = []
    for wave in plan.waves:
        specs = model.in_groups([group.name for group in wave.groups])
        waves.append([spec.name for spec in specs
                      if readiness(spec, present.get(spec.name), compose_done=True)[0] != READY])
    first = next((names for names in waves if names), [])
    later = [name for names in waves if names is not first for name in names]
    new = [name for names in waves for name in names if name not in present]
    return CreatedAhead(engine, first, later, new, pull=pull, sleep=sleep)
