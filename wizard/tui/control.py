"""What the live screens ask of the stack, each answer coming from the core.

One small object so the up-progress screen and the dashboard never run
orchestration of their own: ``up``, ``restart`` and ``down`` are the event
generators of ``wizard.core.lifecycle.launch``, rows come from ``wizard.core.lifecycle.status``.
Tests hand in a fake engine; everything above the engine stays real.
Every method here may block (Docker calls): the screens call them from thread
workers, except ``shell``, which runs while the app is suspended.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterator, Mapping, Sequence

from wizard.core.support.events import Event
from wizard.core.manifest.stack import Stack

LOG_LINES = 200


class StackControl:
    """The stack as the live screens see it."""

    def __init__(self, stack: Stack, *, engine: Any = None, profiles: Sequence[str] = (),
                 up_options: Mapping[str, Any] | None = None) -> None:
        self.stack = stack
        self.profiles = tuple(profiles)
        self.up_options = dict(up_options or {})  # only, pull, timeout, allow_demo_secrets
        self._engine = engine

    def with_profiles(self, profiles: Sequence[str]) -> "StackControl":
        """The same stack and engine with other profiles (the wizard's choice, when it starts the stack)."""
        # An engine is built for its profiles: keep it only when they stay the same.
        engine = self._engine if tuple(profiles) == self.profiles else None
        return StackControl(self.stack, engine=engine, profiles=profiles, up_options=self.up_options)

    @property
    def engine(self):
        """The engine (found on first use, so building the app costs no Docker call)."""
        if self._engine is None:
            from wizard.core.docker.composeengine import ComposeEngine

            self._engine = ComposeEngine(self.stack, profiles=self.profiles)
        return self._engine

    def up(self, *, sleep: Callable[[float], None] = time.sleep) -> Iterator[Event]:
        """``launch.up`` (which holds the stack's lock while the worker iterates, not while the dashboard
        idles); ``sleep`` is called between polls, and may raise to stop waiting."""
        from wizard.core.lifecycle.launch import up

        return up(self.stack, engine=self.engine, profiles=self.profiles, sleep=sleep, **self.up_options)

    def restart(self, service: str, *, sleep: Callable[[float], None] = time.sleep) -> Iterator[Event]:
        from wizard.core.lifecycle.launch import restart

        return restart(self.stack, [service], engine=self.engine, sleep=sleep)

    def down(self) -> Iterator[Event]:
        from wizard.core.lifecycle.launch import down

        return down(self.stack, engine=self.engine)

    def snapshot(self, *, restarts: bool = False) -> list:
        """Every service's row (``wizard.core.lifecycle.status.ServiceStatus``)."""
        from wizard.core.lifecycle.status import snapshot

        return snapshot(self.stack, self.engine, restarts=restarts)

    def log_tail(self, container: str, lines: int = LOG_LINES) -> list[str]:
        """The last lines a container logged (not followed: the dashboard re-reads on refresh)."""
        chunks = self.engine.logs(container, follow=False, tail=lines)
        text = b"".join(chunks).decode("utf-8", "replace")
        return text.splitlines()[-lines:]

    def shell_for(self, container: str) -> str:
        """bash when the container has it, else sh."""
        return "bash" if self.engine.has_program(container, "bash") else "sh"

    def shell(self, service: str, shell: str) -> int:
        """Hand the terminal to a shell in the service's container; its exit code."""
        return self.engine.exec_interactive(service, [shell])
