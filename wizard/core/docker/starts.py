"""Starting containers compose already created, through the Engine API; watching the project's events.

`up` has compose create the containers ahead of their wave (see ``wizard.core.lifecycle.createahead``):
a wave then needs no compose run of its own, only one start call per container, made
here in parallel. When the transport is not a plain local one (``LightClient`` is None)
the Docker SDK makes the same calls.

The watcher keeps one ``GET /events`` stream open while `up` waits, filtered to the
project's containers starting, stopping or changing health, so the wait lists the
containers again as soon as one of them changed rather than on a fixed tick.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Callable, Sequence

from wizard.core.docker.containers import PROJECT_LABEL, ContainerState

# What can make a service ready or failed; exec_* (every healthcheck probe) would only wake us.
WATCHED_EVENTS = ["start", "die", "health_status", "destroy"]
PARALLEL_STARTS = 32  # compose starts a wave all at once too


class StartedByAPI:
    """The finished "run" of a wave started through the API: what compose's run would tell."""

    def __init__(self, failures: Sequence[str]) -> None:
        self._failures = list(failures)

    def done(self) -> bool:
        return True

    @property
    def returncode(self) -> int:
        return 1 if self._failures else 0

    def output(self) -> str:
        return "\n".join(self._failures)

    def cancel(self) -> None:
        return None  # each start call has returned already


def start_containers(containers: Sequence[ContainerState], start: Callable[[str], None]) -> StartedByAPI:
    """``start(id)`` for each container not running yet, in parallel; failures as the engine words them."""
    from concurrent.futures import ThreadPoolExecutor

    waiting = [container for container in containers if container.state != "running"]
    if not waiting:
        return StartedByAPI([])

    def one(container: ContainerState) -> str:
        try:
            start(container.id)
        except Exception as error:  # noqa: BLE001 - reported for its service, as compose would print it
            return f"Error response from daemon for {container.name}: {error}"
        return ""

    with ThreadPoolExecutor(max_workers=min(PARALLEL_STARTS, len(waiting))) as pool:
        return StartedByAPI([failure for failure in pool.map(one, waiting) if failure])


def events_filter(project: str) -> dict[str, Any]:
    return {"filters": json.dumps({"type": ["container"], "label": [f"{PROJECT_LABEL}={project}"],
                                   "event": WATCHED_EVENTS})}


class EventWatcher:
    """Wakes ``wait`` when an event arrives on an open ``/events`` stream; closed with ``close``."""

    def __init__(self, response: Any, close: Callable[[], None]) -> None:
        self._response = response
        self._close = close
        self._changed = threading.Event()
        self._ended = False
        threading.Thread(target=self._read, name="launcher-events", daemon=True).start()

    def _read(self) -> None:
        try:
            while self._response.read1(65536):
                self._changed.set()
        except Exception:  # noqa: BLE001 - closed under us (abort), or the engine went away
            pass  # either way the wait goes on listing on its own
        finally:
            self._changed.set()
            self._ended = True

    def wait(self, timeout: float) -> None:
        """Until something changed since the last wait, or ``timeout`` seconds."""
        if self._ended:
            # No stream any more: wait like the plain tick would, never spin.
            threading.Event().wait(min(timeout, 0.2))
            return
        self._changed.wait(timeout)
        self._changed.clear()

    def close(self) -> None:
        self._close()
