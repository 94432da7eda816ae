"""Waves: groups that can start together, init steps after their group, skips explained."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from tests.unit.manifest_factory import groups_manifest, write_stack
from wizard.core.support.errors import UsageError
from wizard.core.manifest.plan import build_plan
from wizard.core.manifest.stack import load_stack


def stack_of(tmp_path, edges, extra=""):
    manifest = write_stack(tmp_path, groups_manifest(edges) + extra,
                           compose=tuple(f"compose/{g}.yml" for g in edges))
    return load_stack(manifest)


def wave_names(plan):
    return [[g.name for g in wave.groups] for wave in plan.waves]


def test_diamond_dependencies(tmp_path):
    stack = stack_of(tmp_path, {"db": [], "auth": ["db"], "rest": ["db"], "app": ["auth", "rest"]})
    assert wave_names(build_plan(stack)) == [["db"], ["auth", "rest"], ["app"]]


def test_independent_groups_share_a_wave(tmp_path):
    stack = stack_of(tmp_path, {"supabase": [], "mongodb": [], "weaviate": [], "app": ["supabase", "mongodb"]})
    assert wave_names(build_plan(stack)) == [["supabase", "mongodb", "weaviate"], ["app"]]


def test_longest_path_decides_the_wave(tmp_path):
    stack = stack_of(tmp_path, {"a": [], "b": ["a"], "c": ["b"], "d": ["a", "c"]})
    assert wave_names(build_plan(stack)) == [["a"], ["b"], ["c"], ["d"]]


def test_steps_follow_their_group(tmp_path):
    stack = stack_of(tmp_path, {"db": [], "app": ["db"]}, extra="""
[steps.schema]
kind = "postgres-seeds"
after = "db"
dsn = "postgresql://x"
dir = "seeds"
""")
    plan = build_plan(stack)
    assert [s.name for s in plan.waves[0].steps] == ["schema"]
    assert plan.waves[1].steps == ()


def test_missing_required_path_skips_group_and_its_dependents(tmp_path):
    stack_of(tmp_path, {"db": [], "app": ["db"], "web": ["app"]}, extra="""
""")
    manifest = tmp_path / "stack.toml"
    manifest.write_text(manifest.read_text().replace(
        '[groups.app]\n', '[groups.app]\nrequires_paths = ["stackend"]\n'))
    plan = build_plan(load_stack(manifest))
    assert wave_names(plan) == [["db"]]
    assert [(s.group, s.reason) for s in plan.skipped] == [
        ("app", "missing ./stackend (requires_paths)"),
        ("web", "comes after skipped group app"),
    ]
    (tmp_path / "stackend").mkdir()
    assert wave_names(build_plan(load_stack(manifest))) == [["db"], ["app"], ["web"]]


def test_only_takes_the_group_and_what_it_comes_after(tmp_path):
    stack = stack_of(tmp_path, {"db": [], "cache": [], "app": ["db"], "web": ["app"]})
    assert wave_names(build_plan(stack, only=["app"])) == [["db"], ["app"]]
    with pytest.raises(UsageError, match="unknown group 'nope'"):
        build_plan(stack, only=["nope"])


def test_plan_to_dict_is_json(tmp_path):
    stack = stack_of(tmp_path, {"db": [], "app": ["db"]})
    data = json.loads(json.dumps(build_plan(stack, profiles=["tools"]).to_dict()))
    assert data["stack"] == "demo"
    assert data["profiles"] == ["tools"]
    assert [w["groups"][0]["name"] for w in data["waves"]] == ["db", "app"]
    assert data["waves"][1]["groups"][0]["after"] == ["db"]


def test_an_undeclared_profile_is_a_usage_error(tmp_path):
    from wizard.core.manifest.plan import check_profiles

    stack = stack_of(tmp_path, {"db": [], "app": ["db"]})
    with pytest.raises(UsageError, match="unknown profile 'tools'") as refused:
        check_profiles(stack, ["tools"])
    assert "declares none" in refused.value.hint
    tooled = replace(stack, groups=tuple(replace(g, profiles=("tools",)) if g.name == "db" else g
                                         for g in stack.groups))
    check_profiles(tooled, ["tools"])
    with pytest.raises(UsageError, match="unknown profile 'tool'") as typo:
        check_profiles(tooled, ["tool"])
    assert typo.value.hint == "use one of: tools"


UPGRADE_STEP = """
[steps.to-17]
kind = "postgres-upgrade"
after = "db"
service = "postgres"
from_image = "postgres:15*"
to_image = "postgres:17*"
dsn = "postgresql://x"
dir = "upgrades"
"""


def test_upgrade_steps_are_not_in_the_waves_of_up(tmp_path):
    stack = stack_of(tmp_path, {"db": [], "app": ["db"]}, extra=UPGRADE_STEP)
    assert [step.name for step in stack.steps] == ["to-17"]
    assert all(wave.steps == () for wave in build_plan(stack).waves)


def test_an_upgrade_step_runs_only_for_the_move_it_names(tmp_path):
    from wizard.core.upgrade.plan import ImageChange, UpgradePlan
    from wizard.core.upgrade.sqlsteps import steps_for

    stack = stack_of(tmp_path, {"db": []}, extra=UPGRADE_STEP)

    def chosen(service, old, new):
        return [step.name for step in steps_for(stack, UpgradePlan(images=(ImageChange(service, old, new),), majors=()))]

    assert chosen("postgres", "postgres:15.8", "postgres:17.6") == ["to-17"]
    assert chosen("postgres", "postgres:17.4", "postgres:17.6") == []  # not the move it is written for
    assert chosen("postgres", "postgres:15.8", "postgres:16.1") == []
    assert chosen("other", "postgres:15.8", "postgres:17.6") == []


def test_an_upgrade_step_must_name_its_service_and_target(tmp_path):
    from wizard.core.support.errors import ManifestInvalid

    with pytest.raises(ManifestInvalid) as raised:
        stack_of(tmp_path, {"db": []}, extra=UPGRADE_STEP.replace('service = "postgres"\n', "")
                 .replace('to_image = "postgres:17*"\n', ""))
    text = "\n".join(raised.value.lines())
    assert "step to-17 (postgres-upgrade) needs service" in text
    assert "step to-17 (postgres-upgrade) needs to_image" in text
