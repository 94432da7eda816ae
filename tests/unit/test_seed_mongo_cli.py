"""`launcher seed mongo`: the real CLI in a subprocess against the stateful wire stand-in."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tests.unit.manifest_factory import write_stack
from tests.unit.mongo_standin import MongoStandIn

MANIFEST = """
[stack]
name = "demo"

[groups.mongodb]
compose = ["compose/mongodb.yml"]

[steps.mongo-data]
kind = "mongo-seeds"
after = "mongodb"
dir = "seeds/mongo"
uri = "mongodb://127.0.0.1:${MONGO_PORT}/?directConnection=true&serverMonitoringMode=poll"
timeout = 3

[settings.MONGO_PORT]
kind = "port"
default = 27017
"""


@pytest.fixture
def target():
    server = MongoStandIn().start()
    yield server
    server.stop()


@pytest.fixture
def stack(tmp_path: Path, target: MongoStandIn, run_launcher) -> Path:
    """An initialized stack whose mongo-seeds step points at the stand-in, with one seed file."""
    write_stack(tmp_path, MANIFEST, compose=("compose/mongodb.yml",))
    (tmp_path / "seeds/mongo/app").mkdir(parents=True)
    (tmp_path / "seeds/mongo/app/things.json").write_text('{"_id": 1, "a": 1}\n{"_id": 2, "a": 2}\n')
    done = run_launcher("init", "--non-interactive", "--set", f"MONGO_PORT={target.server.port}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return tmp_path


def test_seed_mongo_loads_the_seeds_with_json_lines(stack, target, run_launcher):
    done = run_launcher("seed", "mongo", "--json", cwd=stack)

    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines[0] == {"event": "step-progress", "step": "mongo-data",
                        "message": "app.things: 2 documents (2 new, 0 changed), 0 indexes"}
    assert lines[-1]["event"] == "finished" and lines[-1]["summary"].startswith("1 collection, 2 documents")
    assert target.docs("app", "things") == [{"_id": 1, "a": 1}, {"_id": 2, "a": 2}]


def test_replace_without_yes_is_refused_when_nobody_can_be_asked(stack, target, run_launcher):
    done = run_launcher("seed", "mongo", "--replace", "--non-interactive", cwd=stack)
    assert done.returncode == 11  # ExitCode.CANCELLED
    assert "pass --yes" in done.stderr
    assert target.named("drop") == []


def test_replace_with_yes_drops_then_loads(stack, target, run_launcher):
    target.collection("app", "things")["docs"]["old"] = {"_id": "old"}
    done = run_launcher("seed", "mongo", "--replace", "--yes", cwd=stack)
    assert done.returncode == 0, done.stderr
    assert [doc["_id"] for doc in target.docs("app", "things")] == [1, 2]


def test_copy_reads_the_uri_from_stdin_and_stores_it_nowhere(stack, target, run_launcher):
    source = MongoStandIn().start()
    try:
        source.collection("prod", "people")["docs"]["p1"] = {"_id": "p1", "name": "Ada"}
        done = run_launcher("seed", "mongo", "--from-uri", "-", "--db", "prod", cwd=stack, input=source.uri + "\n")
    finally:
        source.stop()

    assert done.returncode == 0, done.stderr
    assert target.docs("prod", "people") == [{"_id": "p1", "name": "Ada"}]
    assert done.stdout.splitlines()[-1] == "1 collection, 1 documents (1 new, 0 changed, 0 unchanged), 0 indexes"
    source_port = f":{source.server.port}"
    for path in stack.rglob("*"):
        if path.is_file():
            assert source_port not in path.read_text(errors="replace"), path


def test_copy_failure_masks_the_password(stack, run_launcher):
    uri = f"mongodb://copier:hunter2-secret@127.0.0.1:{_free_port()}/"
    done = run_launcher("seed", "mongo", "--from-uri", uri, "--db", "prod", cwd=stack)
    assert done.returncode == 10  # ExitCode.SEED_FAILED
    assert "copier:********@127.0.0.1" in done.stderr
    assert "hunter2-secret" not in done.stderr + done.stdout


def test_copy_without_a_uri_and_nobody_to_ask_is_an_answer_missing(stack, run_launcher):
    done = run_launcher("seed", "mongo", "--db", "prod", "--non-interactive", cwd=stack)
    assert done.returncode == 5  # ExitCode.ANSWER_MISSING
    assert "--from-uri" in done.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
