"""Containers made before their wave starts, so a wave only starts containers (as compose does).

Compose creates every container of a run before it starts the first (and recreates or
scales, in the same step, what differs from the files: ``wizard.core.lifecycle.converge``). `up` does better
on a cold start: the first wave's containers are created at once, in one compose run;
each later wave's in a compose run in the background, begun as soon as the wave before
it has started its containers. That run then overlaps the wait for that wave's first
healthchecks (time in which `up` only waits) instead of coming before any start. A wave
waits for its own run to end before it starts anything.

When compose refuses to create (a bad mount, an image it cannot pull), nothing is
reported here: that wave runs `compose up` as before, and its own words say why.
"""

from __future__ import annotations

import time
from typing import Callable, Collection, Sequence

from wizard.core.docker.containers import ContainerState, replicas_by_service
from wizard.core.docker.model import ComposeModel
from wizard.core.docker.protocol import CreatesAhead, Engine, Run
from wizard.core.manifest.plan import Plan
from wizard.core.lifecycle.readiness import READY, service_readiness

_DONE_POLL = 0.05  # seconds between looks at the background run, when a wave must wait for it


class CreatedAhead:
    """The containers made ahead for one `up`, wave by wave, and how to undo them."""

    def __init__(self, engine: CreatesAhead, waves: Sequence[Sequence[str]], new: Sequence[str], *,
                 pull: str, sleep: Callable[[float], None]) -> None:
        self._engine = engine
        self._pull = pull
        self._sleep = sleep
        # The services to create, per wave that has any (indexes below are into this list).
        self._waves = [list(names) for names in waves if names]
        self._first_made: bool | None = None  # the first one's are made when `made` first asks
        self._runs: dict[int, Run] = {}  # index -> the background compose run creating that wave's
        self._following = 1  # the wave `begin_next` creates: the one after the wave last started
        # Services that had no container before this `up`: what `undo` may remove.
        self.new = list(new)

    def begin_next(self) -> None:
        """Start creating the next wave's containers in the background (nothing when none is left)."""
        following = self._following
        if following < len(self._waves) and following not in self._runs:
            self._runs[following] = self._engine.create_in_background(self._waves[following], pull=self._pull)

    def made(self, services: Sequence[str]) -> bool:
        """Whether these services' containers were made ahead: the first wave's are made now, a
        later wave's run is waited for (begun now if it was not). The wait is compose's own time
        to create them; Ctrl-C or closing `up` stops it (see ``undo``)."""
        index = next((i for i, names in enumerate(self._waves) if any(name in names for name in services)), None)
        if index is None:
            return False  # none of them was to be made: compose starts whatever is not ready, as it would
        if index == 0:
            if self._first_made is None:
                self._first_made = self._engine.create(self._waves[0], pull=self._pull)
            return self._first_made
        self._following = index
        self.begin_next()
        run = self._runs[index]
        while not run.done():
            self._sleep(_DONE_POLL)
        self._following = index + 1
        return run.returncode == 0

    def undo(self) -> None:
        """`up` stopped short: stop the background runs, remove what was made for waves never started."""
        for run in self._runs.values():
            run.cancel()
        if self.new:
            self._engine.remove_unstarted(self.new)


def create_ahead(engine: Engine, model: ComposeModel, plan: Plan, states: Sequence[ContainerState] | None, *,
                 pull: str, sleep: Callable[[float], None] = time.sleep,
                 converge: Collection[str] = ()) -> CreatedAhead | None:
    """What to create ahead, wave by wave (see the module's words); nothing is created yet.

    Only services not ready yet are created, and those in ``converge`` (ready, but not what
    the files say: compose's create recreates or scales them). None when the engine cannot
    create ahead (another target, the test fake), or without a list of the project's containers.
    """
    if not isinstance(engine, CreatesAhead) or states is None:
        return None
    present = replicas_by_service(states)
    waves = []
    for wave in plan.waves:
        specs = model.in_groups([group.name for group in wave.groups])
        waves.append([spec.name for spec in specs if spec.name in converge
                      or service_readiness(spec, present.get(spec.name, []), compose_done=True)[0] != READY])
    new = [name for names in waves for name in names if name not in present]
    return CreatedAhead(engine, waves, new, pull=pull, sleep=sleep)
