"""Create the containers of later waves while an earlier wave waits for health.

Creating a container (image config, network endpoint, volumes) takes about as long
as starting it; a cold `up` that creates each wave's containers only when the wave
starts pays that once per wave, in series. Compose itself creates everything first.
Here, once a wave's `compose up` has returned, one background `compose up
--no-start --no-deps` creates the later waves' missing containers while this wave
waits for health; each later wave's `compose up` then only starts them.

Only services that had no container at all when `up` began are created ahead: an
existing container (stopped, or of an older config) is left for its own wave's
`compose up`, exactly as before. If `up` stops before a wave (a failure, Ctrl-C,
the TUI closing the run), the containers created ahead for it and never started
are removed again, so what stays is what `up` started, as without this.
"""

from __future__ import annotations

from typing import Any, Sequence

from wizard.core.engine import ComposeModel, ContainerState
from wizard.core.plan import Plan


class CreateAhead:
    """Pre-creation for one `up` run; a no-op for engines that cannot create (test doubles)."""

    def __init__(self, engine: Any, model: ComposeModel, plan: Plan, listed: Sequence[ContainerState] | None, *,
                 pull: str) -> None:
        self._create = getattr(engine, "create", None)
        self._remove = getattr(engine, "remove_created", None)
        self._pull = pull
        existing = {container.service for container in listed or ()}
        # wave index -> services of that wave with no container yet
        self._absent = {wave.index: [spec.name for spec in model.in_groups([g.name for g in wave.groups])
                                     if spec.name not in existing]
                        for wave in plan.waves}
        self._enabled = listed is not None and self._create is not None and self._remove is not None
        self._wave = 0
        self._run = None
        self._created: dict[str, int] = {}  # service -> its wave

    def entering(self, wave: int) -> None:
        """A wave is about to start: what was created ahead for it must be in place first."""
        if self._run is not None and not self._run.done():
            self._run.wait()
        self._wave = wave  # only now: interrupted while waiting, this wave counts as never reached

    def create_later(self) -> None:
        """The current wave's compose run succeeded: create the later waves' containers (once)."""
        if not self._enabled or self._run is not None:
            return
        self._created = {name: index for index, names in self._absent.items() if index > self._wave
                         for name in names}
        if self._created:
            self._run = self._create(list(self._created), pull=self._pull)

    def close(self) -> None:
        """Stop a creation still running; remove what was created for waves never reached."""
        if self._run is None:
            return
        self._run.cancel()
        unreached = [name for name, index in self._created.items() if index > self._wave]
        if unreached:
            self._remove(unreached)
