"""launch.up with an engine that creates every container ahead and starts them through its API."""

from __future__ import annotations

from typing import Sequence

from tests.unit.fake_engine import FakeEngine, FakeRun, container, healthy
from tests.unit.test_launch import run_up, specs, stack  # noqa: F401 (stack: the fixture)
from wizard.core.support.errors import Unhealthy


class BackgroundRun(FakeRun):
    """A compose run in the background that is done after ``ticks`` looks at it."""

    def done(self) -> bool:
        finished = self.ticks <= 0
        self.ticks -= 1
        return finished


class CreatingEngine(FakeEngine):
    """The fake, plus the real engine's create / start_created / remove_unstarted."""

    def __init__(self, *args, create_ok: bool = True, background_ok: bool = True, background_ticks: int = 0,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.create_ok = create_ok
        self.background_ok = create_ok and background_ok
        self.background_ticks = background_ticks
        self.background: list[BackgroundRun] = []
        self.background_began: list[tuple] = []
        self.background_done_at_starts: list[bool | None] = []
        self.created: list[list[str]] = []
        self.api_started: list[list[str]] = []
        self.removed: list[list[str]] = []

    def create(self, services: Sequence[str], pull: str = "missing") -> bool:
        self.created.append(list(services))
        for service in services:
            self.current.setdefault(service, container(service, "created", project=self.project))
        return self.create_ok

    def create_in_background(self, services: Sequence[str], pull: str = "missing") -> FakeRun:
        self.create(services, pull)
        # What the first wave's containers looked like when it began: started, not yet waited for.
        self.background_began.append((list(map(list, self.api_started)),
                                      {n: c.state for n, c in self.current.items()}))
        self.background.append(BackgroundRun(returncode_when_done=0 if self.background_ok else 1,
                                             ticks=self.background_ticks))
        return self.background[-1]

    def start_created(self, services: Sequence[str]) -> FakeRun:
        self.background_done_at_starts.append(self.background[-1].ticks <= 0 if self.background else None)
        self.api_started.append(list(services))
        run = self.start(services)
        self.started.pop()  # not a compose run
        return run

    def remove_unstarted(self, services: Sequence[str]) -> None:
        self.removed.append(list(services))
        for service in services:
            if self.current.get(service) is not None and self.current[service].state == "created":
                del self.current[service]


def test_every_container_is_created_first_then_each_wave_only_starts(stack):
    engine = CreatingEngine(specs())
    engine.containers()  # the preflight's list, which `up` reuses
    events, error = run_up(stack, engine)
    assert error is None
    # The first wave's containers before any start; each later wave's once the wave before started.
    assert engine.created == [["postgres"], ["redis"], ["migrate", "web"]]
    # web waits for migrate within its wave: compose starts that wave, in its order.
    assert engine.api_started == [["postgres"], ["redis"]]
    assert engine.started == [["migrate", "web"]]
    assert engine.removed == []


def test_what_was_ready_is_neither_created_nor_started(stack):
    engine = CreatingEngine(specs(), running=[healthy("postgres"), healthy("redis"), healthy("web")])
    engine.containers()
    events, error = run_up(stack, engine)
    assert error is None
    assert engine.created == [["migrate"]]
    assert engine.api_started == [["migrate"]]  # alone in its wave now: nothing to order
    assert engine.started == []


def test_a_completed_job_runs_again_through_the_api_without_compose(stack):
    """The next `up` starts the job that completed (as compose does), through the API: no compose run."""
    engine = CreatingEngine(specs(), running=[healthy("postgres"), healthy("redis"),
                                              container("migrate", "exited", exit_code=0), healthy("web")])
    engine.containers()
    events, error = run_up(stack, engine)
    assert error is None
    assert engine.created == [] and engine.started == []
    assert engine.api_started == [["migrate"]]


def test_a_failure_removes_the_containers_created_for_waves_never_reached(stack):
    engine = CreatingEngine(specs(), running=[container("redis", "exited", exit_code=137)], scripts={
        "postgres": [("running", "unhealthy", None)]})
    engine.containers()
    events, error = run_up(stack, engine)
    assert isinstance(error, Unhealthy) and "postgres" in str(error)
    # redis had its container before this `up`: it stays, as it would have without creating ahead.
    assert engine.removed == [["postgres", "migrate", "web"]]
    assert set(engine.current) == {"postgres", "redis"}


def test_when_compose_cannot_create_every_wave_runs_compose_as_before(stack):
    engine = CreatingEngine(specs(), create_ok=False)
    engine.containers()
    events, error = run_up(stack, engine)
    assert error is None
    assert engine.api_started == []
    assert engine.started == [["postgres"], ["redis"], ["migrate", "web"]]


def test_each_later_wave_is_created_once_the_wave_before_is_started_before_it_is_waited_for(stack):
    engine = CreatingEngine(specs())
    engine.containers()
    events, error = run_up(stack, engine)
    assert error is None
    assert [started for started, _ in engine.background_began] == [[["postgres"]], [["postgres"], ["redis"]]]
    # Each time, the wave just started had its start calls made, and no list had seen it run yet.
    assert [states[wave] for (_, states), wave in zip(engine.background_began, ["postgres", "redis"])] == \
        ["created", "created"]
    assert engine.background_done_at_starts == [None, True]  # redis's wave waited for its run to end


def test_a_later_wave_waits_for_the_background_run_to_end(stack):
    engine = CreatingEngine(specs(), background_ticks=4)
    engine.containers()
    events, error = run_up(stack, engine)
    assert error is None
    assert engine.background_done_at_starts == [None, True]
    assert engine.api_started == [["postgres"], ["redis"]]


def test_when_the_background_run_fails_the_later_waves_run_compose(stack):
    engine = CreatingEngine(specs(), background_ok=False)
    engine.containers()
    events, error = run_up(stack, engine)
    assert error is None
    assert engine.api_started == [["postgres"]]
    assert engine.started == [["redis"], ["migrate", "web"]]


def test_a_failure_stops_the_background_run_before_removing_what_it_made(stack):
    engine = CreatingEngine(specs(), background_ticks=100, scripts={"postgres": [("running", "unhealthy", None)]})
    engine.containers()
    events, error = run_up(stack, engine)
    assert isinstance(error, Unhealthy)
    assert len(engine.background) == 1 and engine.background[0].cancelled  # redis's, still running
    assert engine.removed == [["postgres", "redis", "migrate", "web"]]
    assert set(engine.current) == {"postgres"}  # started (and failing): it stays for its logs
