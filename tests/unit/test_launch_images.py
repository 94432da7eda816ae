"""The image step of launch.up over a scripted engine: checked before anything starts, pulled, then compose."""

from __future__ import annotations

import pytest

from tests.unit.fake_engine import FakeEngine, spec
from tests.unit.test_images import ScriptedStore, engine_pull, need
from tests.unit.test_launch import run_up, stack  # noqa: F401 - the initialised engine test stack
from wizard.core.support.errors import ImagesUnavailable
from wizard.core.support.events import ImageDone, ImagesStarted, PreflightCheck
from wizard.core.images.build import STEP


class StartsWithPolicy(FakeEngine):
    """Records the pull policy compose is started with."""

    def start(self, services, pull="missing"):
        self.policies = getattr(self, "policies", []) + [pull]
        return super().start(services, pull)


def engine_with_images(present: bool) -> StartsWithPolicy:
    engine = StartsWithPolicy([spec("postgres", "db", image="acme/pg:15"), spec("redis", "cache", image="acme/redis:7"),
                               spec("migrate", "app", oneshot=True, healthcheck=False, image="acme/pg:15"),
                               spec("web", "app", image="acme/web:1")])
    local = [need(name).local for name in ("acme/pg:15", "acme/redis:7", "acme/web:1")] if present else []
    engine.image_store = ScriptedStore(pulls={name: engine_pull({name[-4:]: 1000}) for name in
                                              ("acme/pg:15", "acme/redis:7", "acme/web:1")}, local=local)
    return engine


@pytest.mark.parametrize("options, why", [({"pull": "never"}, "--pull is never"), ({"offline": True}, "--offline is on")])
def test_missing_images_stop_up_before_anything_starts(stack, options, why):  # noqa: F811
    engine = engine_with_images(present=False)
    events, error = run_up(stack, engine, **options)
    assert isinstance(error, ImagesUnavailable)
    assert error.message == f"3 image(s) not on this machine and {why}: acme/pg:15, acme/redis:7, acme/web:1"
    assert "launcher images load FILE" in error.hint and "launcher images pull" in error.hint
    assert [e.status for e in events if isinstance(e, PreflightCheck) and e.check == "images"] == ["fail"]
    assert engine.started == []


def test_missing_images_are_pulled_first_and_compose_never_pulls_again(stack):  # noqa: F811
    engine = engine_with_images(present=False)
    events, error = run_up(stack, engine)
    assert error is None
    pulled = [e.image for e in events if isinstance(e, ImageDone)]
    assert sorted(pulled) == ["acme/pg:15", "acme/redis:7", "acme/web:1"]
    first_start = next(i for i, e in enumerate(events) if type(e).__name__ == "GroupStarting")
    assert max(i for i, e in enumerate(events) if isinstance(e, ImageDone)) < first_start
    assert engine.policies == ["missing", "missing", "missing"]


def test_images_already_here_cost_no_pull(stack):  # noqa: F811
    engine = engine_with_images(present=True)
    events, error = run_up(stack, engine, pull="never")
    assert error is None
    assert not [e for e in events if isinstance(e, ImagesStarted)]
    assert [e.detail for e in events if isinstance(e, PreflightCheck) and e.check == "images"] == ["3 of 3 here"]
    assert engine.policies == ["never", "never", "never"]


def test_build_steps_are_read_from_composes_plain_progress():
    assert STEP.match("#5 [tool 2/3] RUN echo built > /built").groupdict() == {"service": "tool", "step": "2",
                                                                              "steps": "3"}
    assert STEP.match("#4 [tool 1/3] FROM docker.io/launcher-test/busybox:1")["step"] == "1"
    assert STEP.match("#1 [tool internal] load build definition from Dockerfile") is None
