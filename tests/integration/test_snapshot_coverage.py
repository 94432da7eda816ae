"""A snapshot covers every volume of the project's containers, anonymous ones included, and names what it cannot."""

from __future__ import annotations

import json

import pytest

from tests.integration.engine_stack import engine_stack, json_lines  # noqa: F401
from tests.integration.test_snapshots import redis, redis_state

pytestmark = pytest.mark.integration


def test_an_anonymous_volume_is_saved_and_restored_and_a_service_without_one_is_named(engine_stack, docker_client):
    stack = engine_stack
    # Redis keeps its data in an anonymous volume, as an image's VOLUME gives it.
    stack.edit("compose/cache.yml", "- redisdata:/data", "- /data")
    assert stack.launcher("up", "--pull", "never").returncode == 0
    redis(docker_client, stack, "SET", "kept", "in an anonymous volume")
    saved_state = redis_state(docker_client, stack)

    saved = stack.launcher("snapshot", "save", "anon", "--json")
    assert saved.returncode == 0, saved.stderr
    events = json_lines(saved.stdout)
    # The one-shot job mounts no volume: named before the first part is written.
    named = [index for index, event in enumerate(events) if event["event"] == "services-not-covered"]
    first_part = next(index for index, event in enumerate(events) if event["event"] == "part-progress")
    assert named and named[0] < first_part and events[named[0]]["services"] == ["migrate"]
    manifest = json.loads((stack.root / ".launcher" / "snapshots" / "anon" / "manifest.json").read_text())
    (part,) = [part for part in manifest["parts"] if part.get("anonymous")]
    assert (part["service"], part["mount"]) == ("redis", "/data")

    plain = stack.launcher("snapshot", "save", "anon-plain")
    assert plain.returncode == 0
    assert "not in the snapshot: migrate (no volume" in plain.stdout

    redis(docker_client, stack, "FLUSHALL")
    redis(docker_client, stack, "SET", "other", "value")
    restored = stack.launcher("snapshot", "restore", "anon", "--yes")
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert redis_state(docker_client, stack) == saved_state
