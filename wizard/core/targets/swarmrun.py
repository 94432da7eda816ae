"""The stack deploys of one wave on Swarm, run together: done once Swarm has placed (and, for an
update, replaced) every task of the wave's services.

`docker stack deploy` returns once the services' specs are stored; their tasks get containers a
moment later, and an updated service's tasks are replaced one at a time. The run asks the engine
(``SwarmEngine.tasks_settled``) until no task of its services is still being placed or of an older
spec. A `restart: true` dependant is updated by force after the deploys (a deploy would set its
force-update counter back). An update Swarm gave up (rolled back) makes the run fail, as a failed
deploy does, with Swarm's words in its output.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Protocol, Sequence

from wizard.core.docker.endpoint import current


class SettlesTasks(Protocol):
    """What a run asks of its engine (``SwarmEngine``)."""

    @property
    def docker_cli(self) -> str: ...

    def tasks_settled(self, services: Sequence[str], since: float = 0.0) -> tuple[bool, list[str], bool]: ...


class SwarmRun:
    """The stack deploys of one wave, run together; done once Swarm has placed every task."""

    def __init__(self, commands: Sequence[list[str]], cwd: Path, engine: SettlesTasks,
                 services: Sequence[str], forced: Sequence[str] = ()) -> None:
        self._engine = engine
        self._cwd = cwd
        self._services = list(services)
        self._began = time.time()
        self._outputs: list[Any] = []
        self._processes: list[Any] = []
        self._forced = list(forced)  # Swarm services to update by force once the deploys returned
        self._settled = False
        self._task_errors: list[str] = []
        self._gave_up = False
        for argv in commands:
            self._spawn(argv)

    def _spawn(self, argv: list[str]) -> None:
        import subprocess
        import tempfile

        output = tempfile.TemporaryFile()
        self._outputs.append(output)
        self._processes.append(subprocess.Popen(argv, cwd=self._cwd, env=current().environ(), stdout=output,
                                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))

    def done(self) -> bool:
        if any(process.poll() is None for process in self._processes):
            return False
        if self._forced and self.returncode == 0:
            # After the deploys, which would otherwise reset the forced update's counter.
            for name in self._forced:
                self._spawn([self._engine.docker_cli, "service", "update", "--force", "--detach", name])
            self._forced = []
            return False
        if self.returncode != 0 or self._settled:
            return True
        # A deploy returns once the services exist; their tasks get containers a moment later, and
        # an updated service's tasks are replaced one by one (each "updating" until then).
        self._settled, self._task_errors, self._gave_up = self._engine.tasks_settled(self._services, self._began)
        return self._settled

    @property
    def returncode(self) -> int | None:
        codes = [process.poll() for process in self._processes]
        if any(code is None for code in codes):
            return None
        # An update Swarm rolled back is a failed start, as a failed deploy is.
        return next((code for code in codes if code), 1 if self._gave_up else 0)

    def output(self) -> str:
        text = []
        for output in self._outputs:
            output.seek(0)
            text.append(output.read().decode("utf-8", "replace"))
        return "".join(text) + "".join(f"error: {line}\n" for line in self._task_errors)

    def cancel(self) -> None:
        for process in self._processes:
            if process.poll() is None:
                process.terminate()
                process.wait()
