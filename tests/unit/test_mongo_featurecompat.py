"""`launcher upgrade` raises a moved MongoDB server's feature-compatibility version, against a wire stand-in.

No mongod can be installed here: a mockupdb server answers the real pymongo client as an 8.0
binary on 7.0 data would (buildInfo, getParameter, setFeatureCompatibilityVersion, which
refuses a raise without ``confirm: true`` with the server's own code), like the replica-set
tests (test_mongo_replset.py). Which servers are raised is chosen from the upgrade plan.
"""

from __future__ import annotations

import threading
from types import MappingProxyType

import pytest
from mockupdb import MockupDB

from wizard.core.docker.model import ServiceSpec
from wizard.core.manifest.stack import Step
from wizard.core.seeds.mongo.featurecompat import major_minor, raise_feature_compatibility
from wizard.core.seeds.steps import NothingToDo
from wizard.core.support.errors import SeedFailed
from wizard.core.support.events import StepProgress
from wizard.core.upgrade.featurecompat import replica_set_steps
from wizard.core.upgrade.plan import ImageChange, UpgradePlan

CONFIRM_REQUIRED = 7369100  # the server's code for a raise without confirm (7.0 and later)


class MovedNode:
    """One mongod running an 8.0 binary on data still at feature compatibility 7.0."""

    def __init__(self, *, binary: str = "8.0.29", fcv: str = "7.0", target: str | None = None,
                 refuse: bool = False) -> None:
        self.binary, self.fcv, self.target, self.refuse = binary, fcv, target, refuse
        self.commands: list[tuple[str, dict]] = []
        self.server = MockupDB(auto_ismaster=False)
        self.server.autoresponds(self.handle)

    def handle(self, request) -> bool:
        name = request.command_name
        doc = dict(request.doc)
        self.commands.append((name, doc))
        if name.lower() in ("hello", "ismaster"):
            return request.ok({"isWritablePrimary": True, "ismaster": True, "helloOk": True, "maxWireVersion": 25,
                               "minWireVersion": 0, "maxBsonObjectSize": 16777216,
                               "maxMessageSizeBytes": 48000000, "maxWriteBatchSize": 100000})
        if name in ("ping", "endSessions"):
            return request.ok()
        if name == "buildInfo":
            return request.ok(version=self.binary)
        if name == "getParameter" and doc.get("featureCompatibilityVersion"):
            current = {"version": self.fcv, **({"targetVersion": self.target} if self.target else {})}
            return request.ok(featureCompatibilityVersion=current)
        if name == "setFeatureCompatibilityVersion":
            if self.refuse:
                return request.command_err(13, "not authorized on admin", codeName="Unauthorized")
            if doc.get("confirm") is not True:
                return request.command_err(CONFIRM_REQUIRED, "Please re-run this command with 'confirm: true'")
            self.fcv, self.target = doc["setFeatureCompatibilityVersion"], None
            return request.ok()
        return request.command_err(59, f"no such command: '{name}'", codeName="CommandNotFound")

    def named(self, command: str) -> list[dict]:
        return [doc for name, doc in self.commands if name == command]

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.server.port}/?directConnection=true&serverMonitoringMode=poll"


@pytest.fixture
def node():
    started = []

    def make(**kwargs) -> MovedNode:
        moved = MovedNode(**kwargs)
        moved.server.run()
        started.append(moved)
        return moved

    yield make
    for moved in started:
        threading.Thread(target=moved.server.stop, daemon=True).start()


def drive(generator):
    events = []
    try:
        while True:
            events.append(next(generator))
    except StopIteration as stop:
        return events, stop.value


def test_an_8_0_server_on_7_0_data_is_raised_to_8_0_with_confirm(node):
    moved = node()
    events, summary = drive(raise_feature_compatibility(moved.uri, timeout=5))
    [command] = moved.named("setFeatureCompatibilityVersion")
    assert command["setFeatureCompatibilityVersion"] == "8.0" and command["confirm"] is True
    assert summary == "feature compatibility 7.0 -> 8.0" and not isinstance(summary, NothingToDo)
    assert any(isinstance(event, StepProgress) and "7.0 -> 8.0" in event.message for event in events)
    # Run again: the server already says 8.0, so nothing is sent.
    _, again = drive(raise_feature_compatibility(moved.uri, timeout=5))
    assert isinstance(again, NothingToDo) and len(moved.named("setFeatureCompatibilityVersion")) == 1


def test_an_interrupted_raise_is_finished(node):
    moved = node(fcv="7.0", target="8.0")
    drive(raise_feature_compatibility(moved.uri, timeout=5))
    assert moved.fcv == "8.0" and moved.named("setFeatureCompatibilityVersion")


def test_a_server_already_at_its_binarys_version_is_left_alone(node):
    moved = node(binary="7.0.40", fcv="7.0")
    _, summary = drive(raise_feature_compatibility(moved.uri, timeout=5))
    assert isinstance(summary, NothingToDo) and moved.named("setFeatureCompatibilityVersion") == []


def test_a_refused_raise_is_one_line_with_the_command_to_run(node):
    moved = node(refuse=True)
    with pytest.raises(SeedFailed) as caught:
        drive(raise_feature_compatibility(moved.uri, timeout=5))
    line = caught.value.one_line()
    assert "8.0" in line and "not authorized" in line and "confirm: true" in line
    assert "\n" not in line


def test_versions_are_read_as_major_minor():
    assert major_minor("8.0.29") == (8, 0) and major_minor("7.0") == (7, 0) and major_minor("8.3.0-rc1") == (8, 3)


class Manifest:
    def __init__(self, steps):
        self.steps = steps


def step(name: str, kind: str, after: str) -> Step:
    return Step(name=name, kind=kind, after=after, params=MappingProxyType({"uri": "mongodb://x"}))


def test_only_the_replica_set_steps_of_a_moved_group_are_chosen():
    steps = [step("mongo-replica-set", "mongo-replica-set", "mongodb"), step("mongo-data", "mongo-seeds", "mongodb"),
             step("other-rs", "mongo-replica-set", "archive")]
    specs = [ServiceSpec(name="mongodb", group="mongodb"), ServiceSpec(name="redis", group="app"),
             ServiceSpec(name="old-mongo", group="archive")]
    mongo_moved = UpgradePlan(images=(ImageChange("mongodb", "mongo:7.0.16", "mongo:8.0.29"),), majors=())
    assert [s.name for s in replica_set_steps(Manifest(steps), mongo_moved, specs)] == ["mongo-replica-set"]
    redis_moved = UpgradePlan(images=(ImageChange("redis", "redis:7.4.2-alpine", "redis:8.10.1-alpine"),), majors=())
    assert replica_set_steps(Manifest(steps), redis_moved, specs) == []


class Model:
    def __init__(self, services):
        self.services = services


class Engine:
    def model(self):
        return Model([ServiceSpec(name="mongodb", group="mongodb")])


@pytest.mark.parametrize("refuse", [False, True])
def test_the_upgrade_raises_last_and_a_refusal_leaves_the_upgrade_standing(node, monkeypatch, refuse):
    from wizard.core.upgrade import featurecompat
    from wizard.core.upgrade.events import UpgradeStep
    from wizard.core.values import resolution

    moved = node(refuse=refuse)
    monkeypatch.setattr(resolution, "current_values", lambda stack: {"URI": moved.uri})
    stack = Manifest([Step(name="mongo-replica-set", kind="mongo-replica-set", after="mongodb",
                           params=MappingProxyType({"uri": "${URI}", "timeout": 5}))])
    plan = UpgradePlan(images=(ImageChange("mongodb", "mongo:7.0.16", "mongo:8.0.29"),), majors=())
    events, _ = drive(featurecompat.raise_after_upgrade(stack, Engine(), plan))
    last = [event for event in events if isinstance(event, UpgradeStep)][-1]
    if refuse:
        assert moved.fcv == "7.0" and "not raised" in last.detail and "confirm: true" in last.detail
    else:
        assert moved.fcv == "8.0" and last.detail == "mongo-replica-set: feature compatibility 7.0 -> 8.0"
