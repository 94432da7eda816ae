"""`launcher doctor` names each running pin that a record marks with a known advisory, with the fix.

The records are the bundled stack's own (compose/upstream/*.toml); the containers are the
engine's list entries as the light client parses them, scripted here (FakeEngine).
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.unit.fake_engine import FakeEngine, container
from wizard.commands.doctor import pin_advisory_checks
from wizard.core.docker.containers import container_from_summary
from wizard.core.lifecycle.advisories import RECORDS, matching, read_advisories, running_pin_advisories
from wizard.core.support.errors import ConfigError, DockerUnavailable

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def root(tmp_path) -> Path:
    shutil.copytree(REPO / RECORDS, tmp_path / RECORDS)
    return tmp_path


def running(service: str, image: str, state: str = "running"):
    return replace(container(service, state), image=image)


def test_the_records_mark_the_old_pins():
    known = read_advisories(REPO)
    assert "CVE-2026-81934" in {advisory.ids for advisory in known["redis:7.4.2-alpine"]}
    assert {advisory.ids for advisory in known["mongo:7.0.16"]} == {"CVE-2025-14847", "CVE-2026-6914"}
    assert known["supabase/postgres:17.6.1.136"][0].record == "compose/upstream/supabase.toml"
    assert "redis:8.10.1-alpine" not in known and "mongo:8.0.29" not in known


def test_doctor_names_a_running_affected_pin_with_its_fix(root):
    engine = FakeEngine([], running=[running("redis", "redis:7.4.2-alpine"), running("mongodb", "mongo:8.0.29"),
                                     running("db", "supabase/postgres:17.6.1.136", state="exited")])
    checks = pin_advisory_checks(SimpleNamespace(root=root), engine)
    assert {check.name for check in checks} == {"advisory redis"}
    assert all(check.status == "warn" for check in checks)
    fix = next(check for check in checks if "CVE-2026-81934" in check.detail)
    assert fix.detail.startswith("redis:7.4.2-alpine: CVE-2026-81934; fixed in 7.4.11, 8.10.1")
    assert "compose/upstream/redis.toml" in fix.detail and "launcher upgrade" in fix.hint


def test_current_pins_are_one_ok_line_and_a_stack_without_records_says_nothing(root, tmp_path_factory):
    engine = FakeEngine([], running=[running("redis", "redis:8.10.1-alpine")])
    [check] = pin_advisory_checks(SimpleNamespace(root=root), engine)
    assert check.status == "ok" and check.name == "advisories"
    assert pin_advisory_checks(SimpleNamespace(root=tmp_path_factory.mktemp("bare")), engine) == []


def test_an_unanswering_engine_leaves_it_to_the_engine_check(root):
    class Down(FakeEngine):
        def containers(self):
            raise DockerUnavailable("no engine", "start it")

    assert running_pin_advisories(root, Down([])) is None


def test_a_wrong_record_is_one_failed_check_naming_file_and_line(root):
    record = root / RECORDS / "redis.toml"
    record.write_text(record.read_text().replace('fixed = "7.4.11, 8.10.1"', 'fixd = "7.4.11"'))
    [check] = pin_advisory_checks(SimpleNamespace(root=root), FakeEngine([]))
    line = next(number for number, text in enumerate(record.read_text().splitlines(), start=1)
                if text == "[[advisories]]")
    assert check.status == "fail" and check.detail.startswith(f"compose/upstream/redis.toml:{line}: ")
    assert "'fixd'" in check.detail
    (root / RECORDS / "flower.toml").write_text("[upstream\n")
    with pytest.raises(ConfigError, match="flower.toml: not valid TOML"):
        read_advisories(root)
    (root / RECORDS / "flower.toml").write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigError, match="flower.toml: cannot be read"):
        read_advisories(root)


def test_the_list_calls_image_reaches_the_container_state():
    state = container_from_summary({"Id": "x", "Names": ["/a-redis-1"], "Image": "redis:7.4.2-alpine",
                                    "State": "running", "Status": "Up 1 minute"})
    assert state.image == "redis:7.4.2-alpine"
    assert matching(read_advisories(REPO), [state])[0].image == "redis:7.4.2-alpine"
