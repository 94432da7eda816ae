"""The engine seam is one declared shape: the real engines and the tests' fakes all have it.

``runtime_checkable`` isinstance only looks for the names, so each method's
signature is compared too: same parameter names and kinds, the same defaults, and
nothing extra a caller would have to pass.
"""

from __future__ import annotations

import ast
import inspect
from typing import Protocol

import pytest

from tests.conftest import REPO
from tests.tui.helpers import FakeEngine as DashboardFakeEngine
from tests.unit.fake_engine import FakeEngine, FakeRun, spec
from tests.unit.manifest_factory import groups_manifest, write_stack
from wizard.core.docker.composeengine import ComposeEngine
from wizard.core.docker.composerun import ComposeRun
from wizard.core.docker.confighash import HashedProject
from wizard.core.docker.protocol import (Converges, CreatesAhead, DirectEngine, Engine, ReadsVolumes, RecordsUp, Run,
                                         WatchesEvents)
from wizard.core.docker.starts import StartedByAPI
from wizard.core.targets.swarm import SwarmEngine, SwarmRun
from wizard.core.manifest.stack import load_stack


def members(protocol: type) -> set[str]:
    """The names a Protocol declares, its own and its protocol bases'."""
    names: set[str] = set()
    for base in protocol.__mro__:
        if base is Protocol or not getattr(base, "_is_protocol", False):
            continue
        names |= {name for name in vars(base) if not name.startswith("_")}
        names |= set(getattr(base, "__annotations__", {}))
    return names


def signature_problems(wanted, given) -> list[str]:
    """How ``given`` (a method) fails to accept every call ``wanted`` (a Protocol method) allows."""
    want = inspect.signature(wanted)
    have = inspect.signature(given)
    problems = []
    have_params = have.parameters
    kinds = {p.kind for p in have_params.values()}
    for name, param in want.parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            if param.kind not in kinds:
                problems.append(f"no {'*args' if param.kind is param.VAR_POSITIONAL else '**kwargs'}")
            continue
        if name not in have_params:
            problems.append(f"no parameter {name!r}")
            continue
        mine = have_params[name]
        if mine.kind != param.kind and mine.kind is not param.POSITIONAL_OR_KEYWORD:
            problems.append(f"{name!r} is {mine.kind.description}, wanted {param.kind.description}")
        if mine.default != param.default:
            problems.append(f"{name!r} defaults to {mine.default!r}, wanted {param.default!r}")
    for name, mine in have_params.items():
        if (name not in want.parameters and mine.default is mine.empty
                and mine.kind not in (mine.VAR_POSITIONAL, mine.VAR_KEYWORD)):
            problems.append(f"extra required parameter {name!r}")
    return problems


def conformance(protocol: type, instance: object) -> list[str]:
    """Every member of ``protocol`` that ``instance`` lacks or takes differently, one line each.

    Data members and properties are looked up on the class or the instance's own
    attributes, so nothing is evaluated (a real engine's ``client`` would connect).
    """
    cls = type(instance)
    problems = []
    for name in sorted(members(protocol)):
        declared = inspect.getattr_static(protocol, name, None)
        if not hasattr(cls, name) and name not in vars(instance):
            problems.append(f"{cls.__name__}.{name}: missing")
        elif inspect.isfunction(declared):
            given = inspect.getattr_static(cls, name, None)
            if not inspect.isfunction(given):
                problems.append(f"{cls.__name__}.{name}: not a method")
            else:
                problems += [f"{cls.__name__}.{name}: {problem}" for problem in signature_problems(declared, given)]
    return problems


@pytest.fixture
def stack(tmp_path):
    write_stack(tmp_path, groups_manifest({"db": [], "app": ["db"]}), compose=("compose/db.yml", "compose/app.yml"))
    return load_stack(tmp_path / "stack.toml")


def engines(stack) -> dict[str, object]:
    services = [spec("db", "db"), spec("web", "app")]
    return {
        "ComposeEngine": ComposeEngine(stack),
        "SwarmEngine": SwarmEngine(stack, docker_cli="docker"),
        "unit FakeEngine": FakeEngine(services),
        "dashboard FakeEngine": DashboardFakeEngine(stack, services),
    }


@pytest.mark.parametrize("which", ["ComposeEngine", "SwarmEngine", "unit FakeEngine", "dashboard FakeEngine"])
def test_every_engine_has_the_engine_protocol_with_its_signatures(stack, which):
    engine = engines(stack)[which]
    assert conformance(Engine, engine) == []
    assert isinstance(engine, Engine)


@pytest.mark.parametrize("which", ["ComposeEngine", "SwarmEngine"])
def test_real_engines_also_hand_out_their_direct_handles(stack, which):
    engine = engines(stack)[which]
    assert conformance(DirectEngine, engine) == []


def test_the_optional_abilities_are_declared_where_they_exist_and_absent_elsewhere(stack):
    found = engines(stack)
    assert conformance(CreatesAhead, found["ComposeEngine"]) == []
    assert conformance(WatchesEvents, found["ComposeEngine"]) == []
    assert conformance(RecordsUp, found["ComposeEngine"]) == []
    assert conformance(ReadsVolumes, found["ComposeEngine"]) == []
    assert conformance(Converges, found["ComposeEngine"]) == []
    assert conformance(HashedProject, found["ComposeEngine"]) == []  # what the config hash reads of it
    assert isinstance(found["ComposeEngine"], Converges)
    # Swarm converges too (its tasks carry the hash `up` stamped on them); the fakes have no compose hash.
    assert conformance(Converges, found["SwarmEngine"]) == []
    assert isinstance(found["SwarmEngine"], Converges)
    for which in ("unit FakeEngine", "dashboard FakeEngine"):
        assert not isinstance(found[which], Converges), which
    assert isinstance(found["ComposeEngine"], CreatesAhead) and isinstance(found["ComposeEngine"], WatchesEvents)
    assert isinstance(found["ComposeEngine"], ReadsVolumes)
    # The fakes keep no record of an `up` (Swarm keeps one: it deploys compose's resolved config).
    for which in ("unit FakeEngine", "dashboard FakeEngine"):
        assert not isinstance(found[which], RecordsUp), which
    # Swarm makes its own containers, names volumes per Swarm stack and has no compose project
    # events; the fakes script none of it.
    for which in ("SwarmEngine", "unit FakeEngine", "dashboard FakeEngine"):
        assert not isinstance(found[which], CreatesAhead), which
        assert not isinstance(found[which], WatchesEvents), which
        assert not isinstance(found[which], ReadsVolumes), which


def test_every_run_an_engine_starts_has_the_run_protocol():
    for cls in (ComposeRun, SwarmRun, FakeRun, StartedByAPI):
        instance = object.__new__(cls)  # the members are checked, nothing is started
        assert conformance(Run, instance) == [], cls.__name__


def test_a_missing_member_or_a_different_signature_is_caught():
    class Partial(FakeEngine):
        def down(self, purge: bool = False) -> str:  # renamed parameter
            return ""

        def start(self, services, pull: str = "always"):  # another default
            return None

    engine = Partial([spec("db", "db")])
    del engine.project
    assert conformance(Engine, engine) == [
        "Partial.down: no parameter 'volumes'",
        "Partial.project: missing",
        "Partial.start: 'pull' defaults to 'always', wanted 'missing'",
    ]


def test_what_core_calls_on_an_engine_is_declared_in_the_protocol():
    # Keeps the Protocol honest as core grows: a new `engine.x` in core/ needs a member.
    declared = (members(DirectEngine) | members(CreatesAhead) | members(WatchesEvents) | members(RecordsUp)
                | members(ReadsVolumes) | members(Converges) | members(HashedProject))
    used = set()
    for path in sorted((REPO / "wizard" / "core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "engine":
                used.add(node.attr)
    assert used, "no engine calls found: the scan is broken"
    assert sorted(used - declared) == []
