"""compose/supabase.yml against compose/upstream/supabase.toml, the upstream release we follow.

Every pin must be the recorded one, and each kept service must pass exactly the environment
names upstream passes, less those the record leaves out (with a reason), plus those it adds
(with a reason). The model is the real Compose v2 one after a real `launcher init` with the
default settings (the new API keys on), every profile enabled: env files included.
A failure prints the whole difference, which is the checklist of the next upgrade.
"""

from __future__ import annotations

import tomllib

import pytest

from tests.unit.test_bundled_stack import REPO, compose_argv, config, root, stack  # noqa: F401

RECORD_PATH = REPO / "compose" / "upstream" / "supabase.toml"


@pytest.fixture(scope="module")
def record() -> dict:
    return tomllib.loads(RECORD_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose_argv, root, stack) -> dict:
    files = list(stack.group("supabase").compose_files)
    return config(compose_argv, root, files, profiles=("*",))["services"]


def ours(record: dict, upstream_name: str) -> str:
    return record["services"].get(upstream_name, upstream_name)


def test_the_record_names_its_release(record):
    upstream = record["upstream"]
    assert upstream["repository"] == "supabase/supabase" and upstream["folder"] == "docker"
    # A full hash, or the short one a tag shows (at least 7 digits, as git abbreviates).
    assert 7 <= len(upstream["commit"]) <= 40 and int(upstream["commit"], 16) >= 0
    assert upstream["date"] and upstream["release"] and upstream["sources"]


def test_every_pin_is_the_recorded_one(record, services):
    drift = {name: (services[ours(record, name)]["image"], pin) for name, pin in record["images"].items()
             if services[ours(record, name)]["image"] != pin}
    assert drift == {}, "image (compose, record): " + repr(drift)


def test_every_supabase_service_is_in_the_record(record, services):
    recorded = {ours(record, name) for name in record["images"]}
    assert set(services) == recorded
    assert {ours(record, name) for name in record["environment"]} == recorded


def test_environment_names_follow_the_record(record, services):
    drift = {}
    for name, names in record["environment"].items():
        upstream = set(names["upstream"])
        left_out = set(names.get("left_out", {}))
        added = set(names.get("added", {}))
        assert left_out <= upstream, f"{name}: left_out names upstream does not pass: {left_out - upstream}"
        assert not added & upstream, f"{name}: added names upstream passes already: {added & upstream}"
        actual = set(services[ours(record, name)].get("environment") or {})
        expected = (upstream - left_out) | added
        if actual != expected:
            drift[name] = {"missing": sorted(expected - actual), "unrecorded": sorted(actual - expected)}
    assert drift == {}, "environment names against compose/upstream/supabase.toml: " + repr(drift)


def test_every_exception_says_why(record):
    for name, names in record["environment"].items():
        for section in ("left_out", "added"):
            for variable, reason in names.get(section, {}).items():
                assert isinstance(reason, str) and len(reason) > 10, f"{name}.{section}.{variable}"


def test_a_drifted_pin_or_name_is_caught(record, services):
    """The comparison itself can fail: a record one release behind is reported."""
    behind = dict(record["images"], rest="postgrest/postgrest:v14.5")
    assert services["rest"]["image"] != behind["rest"]
    extra = set(services["rest"]["environment"]) | {"PGRST_APP_SETTINGS_JWT_SECRET"}
    assert extra != set(record["environment"]["rest"]["upstream"])
