"""A snapshot covers every volume of the project's containers, anonymous ones included, and names what it cannot."""

from __future__ import annotations

import json

import pytest

from tests.integration.engine_stack import engine_stack, json_lines  # noqa: F401
from tests.integration.test_snapshots import files_state, redis, redis_state, web_sh

pytestmark = pytest.mark.integration


def test_an_anonymous_volume_is_saved_and_restored_and_a_service_without_one_is_named(engine_stack, docker_client):
    stack = engine_stack
    # Redis keeps its data in an anonymous volume, as an image's VOLUME gives it; so does the
    # busybox web service (whose find has no -delete: emptying needs nothing but sh and rm).
    stack.edit("compose/cache.yml", "- redisdata:/data", "- /data")
    stack.edit("compose/app.yml", "- files:/srv/files", "- /srv/files")
    assert stack.launcher("up", "--pull", "never").returncode == 0
    redis(docker_client, stack, "SET", "kept", "in an anonymous volume")
    web_sh(docker_client, stack, "mkdir -p /srv/files/d && echo kept > /srv/files/d/a.txt && echo dot > /srv/files/.hidden")
    saved_state = redis_state(docker_client, stack), files_state(docker_client, stack)

    saved = stack.launcher("snapshot", "save", "anon", "--json")
    assert saved.returncode == 0, saved.stderr
    events = json_lines(saved.stdout)
    # The one-shot job mounts no volume: named before the first part is written.
    named = [index for index, event in enumerate(events) if event["event"] == "services-not-covered"]
    first_part = next(index for index, event in enumerate(events) if event["event"] == "part-progress")
    assert named and named[0] < first_part and events[named[0]]["services"] == ["migrate"]
    manifest = json.loads((stack.root / ".launcher" / "snapshots" / "anon" / "manifest.json").read_text())
    assert sorted((part["service"], part["mount"]) for part in manifest["parts"] if part.get("anonymous")) == [
        ("redis", "/data"), ("web", "/srv/files")]

    plain = stack.launcher("snapshot", "save", "anon-plain")
    assert plain.returncode == 0
    assert "not in the snapshot: migrate (no volume" in plain.stdout

    redis(docker_client, stack, "FLUSHALL")
    redis(docker_client, stack, "SET", "other", "value")
    web_sh(docker_client, stack, "rm -rf /srv/files/d && echo new > /srv/files/.other")
    restored = stack.launcher("snapshot", "restore", "anon", "--yes")
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert (redis_state(docker_client, stack), files_state(docker_client, stack)) == saved_state
    assert not (stack.root / ".launcher" / "restore.json").exists()
