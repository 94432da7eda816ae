"""launch.up / restart / down driven by a scripted engine: order, no-op, failures, preflight."""

from __future__ import annotations

import os
import shutil
import socket
from dataclasses import replace
from pathlib import Path

import pytest

from tests.unit.fake_engine import FakeEngine, container, healthy, spec
from wizard.core.lifecycle import launch, waiting
from wizard.core.lifecycle.readiness import readiness, service_readiness
from wizard.core.docker.model import PublishedPort
from wizard.core.support.errors import ConfigError, PreflightFailed, SecretsCheckFailed, SeedFailed, Unhealthy
from wizard.core.support.events import (Finished, GroupReady, GroupSkipped, GroupStarting, PreflightCheck, ServiceFailed,
                                ServiceReady, StepFailed, StepFinished, StepProgress, StepStarted, WaveStarted)
from wizard.core.manifest.stack import load_stack

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "engine_stack"


@pytest.fixture
def stack(tmp_path):
    """The engine test stack in a temp folder, initialised (env file and stored values written)."""
    from wizard.core.values.resolution import initialize

    root = tmp_path / "stack"
    shutil.copytree(FIXTURE, root)
    loaded = load_stack(root / "stack.toml")
    initialize(loaded, {})
    # No init step unless a test adds one: the fixture's real seed step needs the real postgres.
    return replace(loaded, steps=())


def specs():
    return [
        spec("postgres", "db"),
        spec("redis", "cache"),
        spec("migrate", "app", oneshot=True, healthcheck=False),
        spec("web", "app", depends_on=("migrate",)),
    ]


class Clock:
    """A fake monotonic clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def run_up(stack, engine, **options):
    clock = Clock()
    events = []
    try:
        for event in launch.up(stack, engine=engine, clock=clock, sleep=clock.sleep, **options):
            events.append(event)
    except Exception as error:  # noqa: BLE001 - the tests look at what was raised
        return events, error
    return events, None


def test_up_starts_groups_wave_by_wave_and_waits_for_each(stack):
    engine = FakeEngine(specs(), scripts={
        "postgres": [("created", "", None), ("running", "starting", None), ("running", "healthy", None)],
        "migrate": [("running", "", None), ("exited", "", 0)],
        "web": [("created", "", None), ("running", "starting", None), ("running", "healthy", None)],
    }, compose_ticks=1)
    events, error = run_up(stack, engine)
    assert error is None
    assert engine.started == [["postgres"], ["redis"], ["migrate", "web"]]
    waves = [e.groups for e in events if isinstance(e, WaveStarted)]
    assert waves == [("db",), ("cache",), ("app",)]
    ready = {e.service: e.how for e in events if isinstance(e, ServiceReady)}
    assert ready == {"postgres": "healthy", "redis": "healthy", "migrate": "completed", "web": "healthy"}
    # A service is reported ready before the next wave starts.
    order = [("ready", e.service) if isinstance(e, ServiceReady) else ("wave", e.wave)
             for e in events if isinstance(e, (ServiceReady, WaveStarted))]
    assert order.index(("ready", "postgres")) < order.index(("wave", 2))
    assert order.index(("ready", "redis")) < order.index(("wave", 3))
    assert isinstance(events[-1], Finished) and events[-1].ok
    assert events[-1].details["started"] == ["postgres", "redis", "migrate", "web"]


def test_up_on_a_ready_stack_starts_nothing(stack):
    running = [healthy("postgres"), healthy("redis"), healthy("web")]
    engine = FakeEngine([s for s in specs() if s.name != "migrate"],
                        running=running)
    events, error = run_up(stack, engine)
    assert error is None
    assert engine.started == []
    assert all(not e.changed for e in events if isinstance(e, GroupReady))
    assert {e.how for e in events if isinstance(e, ServiceReady)} == {"already-healthy"}
    # The preflight's list call stands for every wave: nothing else is listed, nothing polled.
    assert engine.list_calls == 1
    assert "already running" in events[-1].summary


def test_a_completed_job_stays_done_where_its_container_is_not_ours_to_start_again(stack):
    """An engine that cannot start a container again (Swarm's tasks; this fake): a job that completed is
    done. The Docker engine's `up` runs it again: tests/unit/test_launch_create_ahead.py."""
    running = [healthy("postgres"), healthy("redis"), container("migrate", "exited", exit_code=0), healthy("web")]
    engine = FakeEngine(specs(), running=running)
    events, error = run_up(stack, engine)
    assert error is None
    assert engine.started == []
    assert {e.how for e in events if isinstance(e, ServiceReady)} == {"already-healthy"}


def test_a_completed_job_counts_only_once_compose_returned():
    """Until compose returned, an exit 0 may be the last run's: the job it is starting again is not done yet."""
    job = spec("migrate", "app", oneshot=True, healthcheck=False)
    done = container("migrate", "exited", exit_code=0)
    assert readiness(job, done, compose_done=False)[0] == "wait"
    assert readiness(job, done, compose_done=True) == ("ready", "completed")


def test_only_the_services_not_ready_are_started(stack):
    running = [healthy("postgres"), container("redis", "exited", exit_code=137)]
    engine = FakeEngine(specs(), running=running)
    _, error = run_up(stack, engine)
    assert error is None
    assert engine.started == [["redis"], ["migrate", "web"]]


def test_unhealthy_service_fails_with_logs_and_later_waves_never_start(stack):
    engine = FakeEngine(specs(), scripts={"redis": [("running", "starting", None), ("running", "unhealthy", None)]})
    events, error = run_up(stack, engine)
    assert isinstance(error, Unhealthy)
    assert "redis" in error.message and "launcher logs redis" in error.hint
    failed = [e for e in events if isinstance(e, ServiceFailed)]
    assert len(failed) == 1 and failed[0].service == "redis"
    assert failed[0].health_log == ("exit 1: connection refused",)
    assert len(failed[0].log_tail) == 40 and failed[0].log_tail[-1] == "log line 45"
    assert failed[0].next_command == "launcher logs redis"
    assert engine.started == [["postgres"], ["redis"]]  # app never started
    assert not any(isinstance(e, WaveStarted) and e.wave == 3 for e in events)


def test_a_job_that_exits_non_zero_fails(stack):
    engine = FakeEngine(specs(), scripts={"migrate": [("running", "", None), ("exited", "", 3)]})
    events, error = run_up(stack, engine)
    assert isinstance(error, Unhealthy)
    assert "migrate" in error.message and "code 3" in error.message


def test_waiting_stops_at_the_timeout(stack):
    engine = FakeEngine(specs(), scripts={"postgres": [("running", "starting", None)]})
    events, error = run_up(stack, engine, timeout=5)
    assert isinstance(error, Unhealthy)
    assert "not ready after 5s" in error.message and "starting" in error.message
    assert engine.started == [["postgres"]]


def test_a_service_waiting_for_its_node_is_said_to_wait_for_that_node_not_to_be_unready(stack):
    engine = FakeEngine(specs(), scripts={"postgres": [("waiting for node launcher-node2 (w1)", "", None)]})
    events, error = run_up(stack, engine, timeout=5)
    assert isinstance(error, Unhealthy)
    assert "postgres" in error.message and "still waiting after 5s: waiting for node launcher-node2 (w1), " \
        "which is down" in error.message and "not ready" not in error.message
    assert "start that node's Docker engine again" in error.hint
    failed = [e for e in events if isinstance(e, ServiceFailed)]
    assert [e.service for e in failed] == ["postgres"]


def test_nothing_counts_as_failed_while_compose_still_runs(stack):
    # Last run's exited container is seen while compose is still starting the new one.
    engine = FakeEngine(specs(), running=[container("postgres", "exited", exit_code=1)], compose_ticks=2,
                        scripts={"postgres": [("exited", "", 1), ("exited", "", 1), ("running", "healthy", None)]})
    _, error = run_up(stack, engine, only=["db"])
    assert error is None


def test_compose_failure_is_reported_with_its_output(stack):
    engine = FakeEngine(specs(), compose_fails="Error response from daemon: no such image", scripts={
        "postgres": []})
    events, error = run_up(stack, engine)
    assert isinstance(error, Unhealthy)
    failed = next(e for e in events if isinstance(e, ServiceFailed))
    assert failed.service == "postgres"
    assert "compose did not create" in failed.reason
    # No container, so no logs: compose's own error is the reason and compose by hand repeats it.
    assert failed.reason.endswith(": Error response from daemon: no such image")
    assert failed.next_command == "docker compose -p demo --env-file .env up postgres"
    assert "no such image" in error.message and failed.next_command in error.hint


def test_only_limits_the_run_to_a_group_and_its_dependencies(stack):
    engine = FakeEngine(specs())
    _, error = run_up(stack, engine, only=["cache"])
    assert error is None
    assert engine.started == [["postgres"], ["redis"]]


def test_group_with_missing_required_paths_is_skipped(stack, tmp_path):
    manifest = stack.manifest
    text = manifest.read_text().replace('after = ["db", "cache"]\n', 'after = ["db", "cache"]\nrequires_paths = ["app-src"]\n')
    manifest.write_text(text)
    engine = FakeEngine(specs())
    events, error = run_up(replace(load_stack(manifest), steps=()), engine)
    assert error is None
    skipped = [e for e in events if isinstance(e, GroupSkipped)]
    assert [s.group for s in skipped] == ["app"] and "app-src" in skipped[0].reason
    assert engine.started == [["postgres"], ["redis"]]


def test_busy_port_stops_preflight_before_anything_starts(stack):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        engine = FakeEngine([spec("postgres", "db", ports=(PublishedPort(port, 5432, "127.0.0.1"),))])
        events, error = run_up(stack, engine)
    assert isinstance(error, PreflightFailed)
    assert f"port {port}" in error.message
    suggested = int(error.hint.split("on port ")[1].split()[0])
    assert suggested > port
    failing = [e for e in events if isinstance(e, PreflightCheck) and e.status == "fail"]
    assert failing and f"(pid {os.getpid()})" in failing[0].detail  # this test process holds it
    assert engine.started == []


def test_port_held_by_this_stack_is_fine(stack):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = PublishedPort(holder.getsockname()[1], 5432, "127.0.0.1")
        running = [container("postgres", "running", "healthy", ports=[port])]
        engine = FakeEngine([spec("postgres", "db", ports=(port,))], running=running)
        _, error = run_up(stack, engine, only=["db"])
    assert error is None


def test_demo_or_broken_secrets_block_unless_allowed(stack, monkeypatch):
    from wizard.core.values.secrets import SecretProblem

    monkeypatch.setattr("wizard.core.values.secrets.check_secrets",
                        lambda stack, values: [SecretProblem("PG_PASSWORD", "is a demo value", demo=True)])
    engine = FakeEngine(specs())
    events, error = run_up(stack, engine)
    assert isinstance(error, SecretsCheckFailed) and "PG_PASSWORD" in error.message
    assert engine.started == []
    _, error = run_up(stack, FakeEngine(specs()), allow_demo_secrets=True)
    assert error is None


def test_missing_env_file_stops_preflight(stack):
    stack.compose_env_file.unlink()
    engine = FakeEngine(specs())
    events, error = run_up(stack, engine)
    assert isinstance(error, PreflightFailed) and ".env" in error.message
    assert "launcher init" in error.hint
    assert engine.started == []


def test_init_steps_run_after_their_wave(stack, monkeypatch):
    from wizard.core.seeds import steps as steps_module

    seen = []

    def runner(stack_, step, values):
        seen.append((step.name, list(engine.current)))
        yield StepProgress(step=step.name, message="applied 001.sql")
        return "1 file applied"

    monkeypatch.setattr(steps_module, "runner_for", lambda kind: runner)
    from wizard.core.manifest.stack import Step

    with_step = replace(stack, steps=(Step(name="schema", kind="postgres-seeds", after="db"),))
    engine = FakeEngine(specs())
    events, error = run_up(with_step, engine)
    assert error is None
    # The step ran once postgres was up and before redis was started.
    assert seen == [("schema", ["postgres"])]
    kinds = [type(e) for e in events if isinstance(e, (StepStarted, StepProgress, StepFinished))]
    assert kinds == [StepStarted, StepProgress, StepFinished]
    finished = next(e for e in events if isinstance(e, StepFinished))
    assert finished.summary == "1 file applied"
    assert finished.skipped is False


def test_a_step_with_nothing_to_do_finishes_skipped():
    from wizard.core.manifest.stack import Step
    from wizard.core.seeds.steps import NothingToDo, run_step

    def done_before(stack_, step, values):
        return NothingToDo("nothing to apply: 3 file(s) already applied")
        yield  # a generator, like the real runners

    events = list(run_step(None, Step(name="schema", kind="postgres-seeds", after="db"), {}, runner=done_before))
    assert events[-1] == StepFinished(step="schema", summary="nothing to apply: 3 file(s) already applied",
                                      skipped=True)


def test_failing_init_step_stops_the_run(stack, monkeypatch):
    from wizard.core.seeds import steps as steps_module
    from wizard.core.manifest.stack import Step

    def runner(stack_, step, values):
        raise SeedFailed("001.sql line 3: syntax error", "fix the file")
        yield  # a generator, like the real runners

    monkeypatch.setattr(steps_module, "runner_for", lambda kind: runner)
    with_step = replace(stack, steps=(Step(name="schema", kind="postgres-seeds", after="db"),))
    engine = FakeEngine(specs())
    events, error = run_up(with_step, engine)
    assert isinstance(error, SeedFailed)
    assert any(isinstance(e, StepFailed) and "syntax error" in e.reason for e in events)
    assert engine.started == [["postgres"]]


def test_closing_the_generator_cancels_a_running_compose(stack):
    engine = FakeEngine(specs(), compose_ticks=100, scripts={"postgres": [("created", "", None)] * 5})
    clock = Clock()
    events = launch.up(stack, engine=engine, clock=clock, sleep=clock.sleep)
    for event in events:
        if isinstance(event, GroupStarting):
            break
    next(events)
    events.close()
    assert engine.run.cancelled


def test_restart_waits_for_health_again(stack):
    running = [healthy("postgres"), healthy("redis")]
    engine = FakeEngine(specs(), running=running,
                        scripts={"redis": [("running", "starting", None), ("running", "healthy", None)]})
    clock = Clock()
    events = list(launch.restart(stack, ["cache"], engine=engine, clock=clock, sleep=clock.sleep))
    assert engine.restarted == [["redis"]]
    assert any(isinstance(e, ServiceReady) and e.service == "redis" for e in events)
    assert isinstance(events[-1], Finished)


def test_restart_of_an_unknown_name_is_a_usage_error(stack):
    from wizard.core.support.errors import UsageError

    with pytest.raises(UsageError, match="nope"):
        list(launch.restart(stack, ["nope"], engine=FakeEngine(specs())))


def test_restart_of_a_service_without_a_container_says_to_start_it(stack):
    from wizard.core.support.errors import UsageError

    engine = FakeEngine(specs(), running=[healthy("postgres")])
    with pytest.raises(UsageError, match="nothing to restart for redis: no container") as refused:
        list(launch.restart(stack, ["postgres", "cache"], engine=engine))
    assert "launcher up" in refused.value.hint
    assert engine.restarted == []


def test_down_keeps_volumes_unless_asked(stack):
    engine = FakeEngine(specs(), running=[healthy("postgres")])
    events = list(launch.down(stack, engine=engine))
    assert engine.downed == [False]
    assert "volumes kept" in events[-1].summary
    list(launch.down(stack, engine=engine, volumes=True))
    assert engine.downed == [False, True]


@pytest.mark.parametrize("state, health, exit_code, oneshot, checked, done, expected", [
    ("running", "healthy", None, False, True, True, "ready"),
    ("running", "", None, False, False, True, "ready"),
    ("running", "", None, False, True, True, "wait"),  # healthcheck not reported yet
    ("running", "starting", None, False, True, True, "wait"),
    ("running", "unhealthy", None, False, True, True, "failed"),
    ("running", "unhealthy", None, False, True, False, "wait"),  # maybe last run's container
    ("exited", "", 0, True, False, True, "ready"),
    ("exited", "", 2, True, False, True, "failed"),
    ("exited", "", 2, True, False, False, "wait"),
    ("running", "", None, True, False, True, "wait"),  # a job still running
    ("exited", "", 0, False, True, True, "failed"),  # a server that stopped is not done
    ("restarting", "", None, False, True, True, "wait"),
])
def test_readiness_rules(state, health, exit_code, oneshot, checked, done, expected):
    service = spec("svc", "g", oneshot=oneshot, healthcheck=checked)
    verdict, _ = readiness(service, container("svc", state, health, exit_code), compose_done=done)
    assert verdict == expected


def test_wait_budget_adds_what_a_service_waits_for():
    budgets = waiting.wait_budgets([spec("a", "g", wait_timeout=60), spec("b", "g", wait_timeout=30, depends_on=("a",)),
                                   spec("c", "g", wait_timeout=10, depends_on=("b", "outside"))], None)
    assert budgets == {"a": 60, "b": 90, "c": 100}
    assert waiting.wait_budgets([spec("a", "g"), spec("b", "g", depends_on=("a",))], 5) == {"a": 5, "b": 10}


def test_a_server_without_healthcheck_that_exits_at_once_fails(stack):
    """Compose's --wait looks again one tick after its starts: running once is not ready (issue 22)."""
    engine = FakeEngine([spec("postgres", "db", healthcheck=False)],
                        scripts={"postgres": [("running", "", None), ("exited", "", 111)]})
    events, error = run_up(stack, engine, only=["db"])
    assert isinstance(error, Unhealthy)
    assert error.message == "service postgres (group db) exited with code 111"
    assert not any(isinstance(e, ServiceReady) and e.service == "postgres" for e in events)


def test_a_server_without_healthcheck_is_ready_once_it_kept_running(stack):
    engine = FakeEngine([spec("postgres", "db", healthcheck=False)])
    events, error = run_up(stack, engine, only=["db"])
    assert error is None
    ready = [e for e in events if isinstance(e, ServiceReady) and e.service == "postgres"]
    assert ready and ready[0].how == "running" and ready[0].elapsed >= 0.5


def test_the_service_that_failed_is_blamed_not_its_dependant(stack):
    """Compose leaves the dependant "created" when its dependency exits: the dependency is the cause."""
    engine = FakeEngine([spec("web", "app", depends_on=("migrate",)), spec("migrate", "app", healthcheck=False)],
                        scripts={"web": [("created", "", None)], "migrate": [("exited", "", 1)]})
    events, error = run_up(stack, engine)
    assert isinstance(error, Unhealthy)
    assert error.message == "service migrate (group app) exited with code 1"
    assert [e.service for e in events if isinstance(e, ServiceFailed)] == ["migrate"]


def test_a_service_of_an_earlier_wave_that_died_since_fails_up_at_the_end(stack):
    engine = FakeEngine([spec("postgres", "db", healthcheck=False), spec("redis", "cache")],
                        scripts={"postgres": [("running", "", None)] * 4 + [("exited", "", 137)],
                                 "redis": [("running", "starting", None)] * 3 + [("running", "healthy", None)]})
    events, error = run_up(stack, engine, only=["db", "cache"])
    assert isinstance(error, Unhealthy)
    assert error.message == "service postgres (group db) exited with code 137"
    ready = [e.service for e in events if isinstance(e, ServiceReady)]
    assert ready == ["postgres", "redis"]  # it was ready in its wave; the last look caught it


def test_every_replica_counts_and_zero_replicas_is_nothing_to_start(stack):
    replicas = [container("web", "running"), replace(container("web", "exited", exit_code=2), id="id-web-2",
                                                       name="demo-web-2")]
    verdict, how, which = service_readiness(spec("web", "app", healthcheck=False, replicas=2), replicas,
                                            compose_done=True)
    assert (verdict, how, which.name) == ("failed", "exited with code 2 (demo-web-2)", "demo-web-2")
    assert service_readiness(spec("web", "app", replicas=0), [], compose_done=True)[:2] == (
        "ready", "nothing to start (replicas: 0)")
    both = [container("web", "running"), replace(container("web", "running"), id="id-web-2", name="demo-web-2")]
    assert service_readiness(spec("web", "app", healthcheck=False, replicas=2), both, compose_done=True,
                             settled=False)[0] == "wait"
    assert service_readiness(spec("web", "app", healthcheck=False, replicas=2), both, compose_done=True)[:2] == (
        "ready", "running (2 replicas)")


def test_compose_failing_after_its_service_turned_healthy_fails_up(stack):
    """A post_start hook fails after the start: `docker compose up` fails, and so does `up`."""
    engine = FakeEngine([spec("postgres", "db")], compose_ticks=3, compose_fails="test hook exited with status 127",
                        scripts={"postgres": [("running", "healthy", None)]})
    events, error = run_up(stack, engine, only=["db"])
    assert isinstance(error, Unhealthy)
    assert error.message == "service postgres (group db) docker compose up failed: test hook exited with status 127"


def test_service_healthy_on_a_dependency_without_healthcheck_blames_the_dependency(stack):
    """Compose: "container db has no healthcheck configured"; the dependant is never started."""
    engine = FakeEngine([spec("db", "app", healthcheck=False),
                         spec("web", "app", depends_on=("db",), healthy_deps=("db",))],
                        scripts={"db": [("running", "", None)], "web": [("created", "", None)]})
    events, error = run_up(stack, engine)
    assert isinstance(error, Unhealthy)
    assert error.message == ("service db (group app) has no healthcheck configured, and web waits for it "
                             "with condition: service_healthy")
    assert "give db a healthcheck" in error.hint
    assert [e.service for e in events if isinstance(e, ServiceFailed)] == ["db"]


def test_service_healthy_on_a_dependency_of_an_earlier_group_without_healthcheck_fails_before_the_start(stack):
    engine = FakeEngine([spec("postgres", "db", healthcheck=False),
                         spec("web", "app", depends_on=("postgres",), healthy_deps=("postgres",))],
                        running=[container("postgres", "running")])
    events, error = run_up(stack, engine)
    assert isinstance(error, Unhealthy)
    assert error.message.startswith("service postgres (group db) has no healthcheck configured, and web waits")
    assert engine.started == []  # web was never started
    # A dependency whose container has a healthcheck (the image's own, say) is waited for as before.
    engine = FakeEngine([spec("postgres", "db", healthcheck=False),
                         spec("web", "app", depends_on=("postgres",), healthy_deps=("postgres",))],
                        running=[healthy("postgres")])
    _, error = run_up(stack, engine)
    assert error is None and engine.started == [["web"]]


def test_the_wait_allows_what_the_images_own_healthcheck_allows():
    """No healthcheck in the compose file: the image's start period and retries set the wait."""
    from wizard.core.docker.imagestore import ImageStore

    class Light:
        def get(self, path, params=None):
            assert path == "/images/launcher-test/slow:1/json"
            return {"Config": {"Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 1_000_000_000,
                                               "StartPeriod": 120_000_000_000, "Retries": 0}}}

    engine = FakeEngine([spec("slow", "app", healthcheck=False, image="launcher-test/slow:1"),
                         spec("own", "app", image="launcher-test/slow:1", wait_timeout=61)])
    engine.image_store = ImageStore(light=Light(), client=lambda: None)
    waits = waiting.image_waits(engine, engine.model().services)
    assert waits == {"slow": 120 + 3 * 2}  # Docker's defaults for what the image leaves at zero
    budgets = waiting.wait_budgets(engine.model().services, None, waits)
    assert budgets == {"slow": 126, "own": 61}  # a compose healthcheck is the compose file's own


def test_a_healthcheck_option_the_engine_refuses_is_a_configuration_error(stack):
    """start_interval needs Engine 25 (API 1.44): compose's words, exit 3, before anything starts."""
    from wizard.core.lifecycle.healthoptions import check_healthcheck_options

    timed = spec("postgres", "db", start_interval="1s", start_period_set=True)
    engine = FakeEngine([timed])  # its engine speaks API 1.41
    events, error = run_up(stack, engine)
    assert isinstance(error, ConfigError) and error.exit_code == 3
    assert "can't set healthcheck.start_interval as feature require Docker Engine v25 or later" in error.message
    assert engine.started == []
    engine.versions = lambda: {"api": "1.44"}
    check_healthcheck_options(stack, engine, [timed])
    with pytest.raises(ConfigError, match="start_interval requires healthcheck.start_period"):
        check_healthcheck_options(stack, engine, [replace(timed, start_period_set=False)])
