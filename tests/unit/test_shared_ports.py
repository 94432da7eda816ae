"""Two of the stack's own port settings on one port: free as far as the machine can tell, yet compose
would fail publishing it twice. `up`'s preflight and `doctor` both stop on it, from one check."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from tests.unit.fake_engine import FakeEngine, spec
from tests.unit.test_doctor import DoctorEngine
from tests.unit.test_launch import run_up
from wizard.core.lifecycle.checks import shared_port_checks, shared_ports
from wizard.core.lifecycle.doctor import run_doctor
from wizard.core.docker.model import PublishedPort
from wizard.core.support.errors import PreflightFailed
from wizard.core.support.events import PreflightCheck
from wizard.core.manifest.stack import load_stack

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "engine_stack"


@pytest.fixture
def stack(tmp_path):
    root = tmp_path / "stack"
    shutil.copytree(FIXTURE, root)
    return replace(load_stack(root / "stack.toml"), steps=())


def initialised(stack, **settings):
    from wizard.core.values.resolution import initialize

    initialize(stack, settings)
    return stack


def test_shared_ports_names_every_setting_on_one_port(stack):
    values = {"PG_PORT": "18000", "REDIS_PORT": "18000", "WEB_PORT": "18000"}
    assert shared_ports(stack, values) == {18000: ["PG_PORT", "REDIS_PORT", "WEB_PORT"]}
    assert shared_ports(stack, {"PG_PORT": "18000"}) == {}  # the others keep their distinct defaults
    [check] = shared_port_checks(stack, values)
    assert check.status == "fail" and check.detail == "settings PG_PORT, REDIS_PORT and WEB_PORT all use port 18000"
    assert check.hint.startswith("give WEB_PORT another port: launcher init --set WEB_PORT=")
    assert int(check.hint.rsplit("=", 1)[1]) > 18000


def test_up_preflight_stops_on_two_settings_sharing_a_port_before_anything_starts(stack):
    # Both chosen by the user: an answer is kept as given (the port block moves only the launcher's own ports).
    initialised(stack, PG_PORT="15432", REDIS_PORT="15432")
    engine = FakeEngine([spec("postgres", "db"), spec("redis", "cache")])
    events, error = run_up(stack, engine)
    assert isinstance(error, PreflightFailed)
    assert error.message == "settings PG_PORT and REDIS_PORT both use port 15432"
    assert "launcher init --set REDIS_PORT=" in error.hint
    failing = [e for e in events if isinstance(e, PreflightCheck) and e.status == "fail"]
    assert [e.check for e in failing] == ["port 15432"]
    assert engine.started == [] and engine.list_calls == 0


def test_distinct_ports_pass_the_preflight(stack):
    initialised(stack)
    _, error = run_up(stack, FakeEngine([spec("postgres", "db"), spec("redis", "cache")]))
    assert error is None


def test_doctor_shows_the_shared_port_once_as_a_blocker(stack):
    initialised(stack, PG_PORT="15432", REDIS_PORT="15432")
    # As compose config would read it: both services publish the one port.
    port = PublishedPort(15432, 5432, "127.0.0.1")
    engine = DoctorEngine([spec("postgres", "db", ports=(port,)), spec("redis", "cache", ports=(port,))])
    checks = run_doctor(stack, engine)
    about = [check for check in checks if check.name == "port 15432"]
    assert [(c.status, c.detail) for c in about] == [("fail", "settings PG_PORT and REDIS_PORT both use port 15432")]
