"""The operations hold the stack's lock themselves, so no front end can start one without it."""

from __future__ import annotations

import os
import types

from tests.unit.fake_engine import FakeEngine, healthy
from tests.unit.test_launch import specs, stack  # noqa: F401 - the fixture
from wizard.core.lifecycle import launch
from wizard.core.support.lock import lock_path, read_holder


class LockProbe(FakeEngine):
    """Notes who holds the stack's lock each time `up` asks the engine whether it answers."""

    def __init__(self, root, *args, **options) -> None:
        super().__init__(*args, **options)
        self.root = root
        self.holders: list = []

    def ping(self) -> None:
        self.holders.append(read_holder(lock_path(self.root)))
        super().ping()


def test_init_plain_start_now_holds_the_lock(stack, monkeypatch):
    # `init --plain` answering yes to "Start the stack now?" calls prompts.start.
    from wizard.frontends import prompts

    engine = LockProbe(stack.root, specs(), running=[healthy(item.name) for item in specs()])
    monkeypatch.setattr(launch, "ComposeEngine", lambda stack, profiles=(): engine)
    monkeypatch.setattr(prompts, "say", lambda line: None)
    session = types.SimpleNamespace(stack=stack, profiles=(), mongo_copy=lambda: None)
    assert prompts.start(session) == 0
    assert engine.holders, "up never asked the engine"
    assert all(holder is not None and holder.action == "up" and holder.pid == os.getpid()
               for holder in engine.holders)
    assert read_holder(lock_path(stack.root)) is None  # let go once up finished


def test_closing_up_early_lets_go_of_the_lock(stack):
    # The TUI closes the generator when its screen goes away, and Ctrl-C closes it too.
    engine = LockProbe(stack.root, specs(), running=[healthy(item.name) for item in specs()])
    events = launch.up(stack, engine=engine)
    next(events)
    assert read_holder(lock_path(stack.root)).action == "up"
    events.close()
    assert read_holder(lock_path(stack.root)) is None
