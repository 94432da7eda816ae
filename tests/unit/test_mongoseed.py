"""Mongo seeding and copying with the real pymongo client against a stateful wire stand-in."""

from __future__ import annotations

import datetime
import json
import socket
from pathlib import Path
from types import MappingProxyType, SimpleNamespace

import pytest
from bson import ObjectId

from tests.unit.mongo_standin import MongoStandIn
from wizard.core.support.events import consume
from wizard.core.support.errors import ConfigError, SeedFailed
from wizard.core.seeds.mongo.data import copy_database, read_documents, read_seeds, run_seed_step
from wizard.core.seeds.steps import NothingToDo
from wizard.core.manifest.stack import Step

USERS = [
    '{"_id": {"$oid": "65a000000000000000000001"}, "email": "ada@example.com", '
    '"created": {"$date": "2024-01-02T03:04:05Z"}}',
    '{"_id": {"$oid": "65a000000000000000000002"}, "email": "bob@example.com", "tags": ["a", "b"]}',
    "",
    '{"_id": {"$oid": "65a000000000000000000003"}, "email": "cy@example.com", "n": {"$numberLong": "7"}}',
]
USER_INDEXES = [{"v": 2, "key": {"_id": 1}, "name": "_id_"},
                {"v": 2, "key": {"email": 1}, "name": "email_1", "unique": True}]
TEMPLATES = [{"_id": "welcome", "subject": "Hello"}, {"_id": "reset", "subject": "Reset"}]


@pytest.fixture
def servers():
    started: list[MongoStandIn] = []

    def make() -> MongoStandIn:
        server = MongoStandIn().start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def stack(tmp_path: Path) -> SimpleNamespace:
    """A stack folder with seeds/mongo/app/{users,templates}.json and the users' indexes."""
    app = tmp_path / "seeds" / "mongo" / "app"
    app.mkdir(parents=True)
    (app / "users.json").write_text("\n".join(USERS) + "\n")
    (app / "users.indexes.json").write_text(json.dumps(USER_INDEXES))
    (app / "templates.json").write_text(json.dumps(TEMPLATES, indent=2))
    return SimpleNamespace(root=tmp_path)


def seed_step(uri: str, **params) -> Step:
    raw = {"uri": uri, "dir": "seeds/mongo", "timeout": 5, **params}
    return Step(name="mongo-data", kind="mongo-seeds", after="mongodb", params=MappingProxyType(raw))


def drive(generator):
    events = []
    return events, consume(generator, events.append)


# -- reading seed files -----------------------------------------------------------------------


def test_extended_json_lines_and_arrays_are_read_with_their_types(stack):
    seeds = {seed.namespace: seed for seed in read_seeds(stack.root / "seeds/mongo", stack.root)}

    users = seeds["app.users"]
    assert users.documents[0]["_id"] == ObjectId("65a000000000000000000001")
    assert users.documents[0]["created"] == datetime.datetime(2024, 1, 2, 3, 4, 5)
    assert users.documents[2]["n"] == 7
    assert users.lines == (1, 2, 4)
    assert [spec["name"] for spec in users.indexes] == ["email_1"]  # the _id index is the server's own
    assert [doc["_id"] for doc in seeds["app.templates"].documents] == ["welcome", "reset"]
    assert seeds["app.templates"].source == "seeds/mongo/app/templates.json"


def test_document_without_id_is_refused_with_its_line(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"_id": 1}\n{"name": "no id"}\n')
    with pytest.raises(SeedFailed) as caught:
        read_documents(path, "seeds/mongo/db/c.json")
    assert caught.value.where == "seeds/mongo/db/c.json:2"
    assert "no _id" in caught.value.message


def test_broken_json_in_an_array_names_the_line(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('[\n  {"_id": 1},\n  {"_id": 2,,}\n]\n')
    with pytest.raises(SeedFailed) as caught:
        read_documents(path, "c.json")
    assert caught.value.where == "c.json:3"


def test_bad_extended_json_value_is_a_seed_error(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"_id": {"$oid": "not-an-object-id"}}\n')
    with pytest.raises(SeedFailed) as caught:
        read_documents(path, "c.json")
    assert caught.value.where == "c.json:1"


def test_json_file_outside_a_database_folder_is_refused(stack):
    (stack.root / "seeds/mongo/users.json").write_text("[]")
    with pytest.raises(SeedFailed, match="not inside a database folder"):
        read_seeds(stack.root / "seeds/mongo", stack.root)


def test_missing_seed_folder_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        read_seeds(tmp_path / "nope", tmp_path)


# -- loading ------------------------------------------------------------------------------------


def test_seeds_load_with_indexes_and_a_second_run_changes_nothing(servers, stack):
    server = servers()
    events, summary = drive(run_seed_step(stack, seed_step(server.uri), {}))

    assert summary == "2 collections, 5 documents (5 new, 0 changed, 0 unchanged), 1 indexes"
    assert not isinstance(summary, NothingToDo)
    assert sorted(doc["email"] for doc in server.docs("app", "users")) == [
        "ada@example.com", "bob@example.com", "cy@example.com"]
    assert server.docs("app", "templates") == TEMPLATES
    created = [spec for doc in server.named("createIndexes") for spec in doc["indexes"]]
    assert created == [{"key": {"email": 1}, "name": "email_1", "unique": True}]
    assert any(event.message.startswith("app.users: 3 documents (3 new") for event in events)

    _, again = drive(run_seed_step(stack, seed_step(server.uri), {}))
    assert again == "2 collections, 5 documents (0 new, 0 changed, 5 unchanged), 1 indexes"
    assert isinstance(again, NothingToDo)  # StepFinished.skipped: nothing to load
    assert "drop" not in [name for name, _ in server.commands]


def test_changed_seed_document_is_replaced_and_extra_documents_stay(servers, stack):
    server = servers()
    server.collection("app", "templates")["docs"]["extra"] = {"_id": "extra", "subject": "kept"}
    drive(run_seed_step(stack, seed_step(server.uri), {}))
    (stack.root / "seeds/mongo/app/templates.json").write_text(
        json.dumps([{"_id": "welcome", "subject": "Hi"}, {"_id": "reset", "subject": "Reset"}]))

    _, summary = drive(run_seed_step(stack, seed_step(server.uri), {}))

    assert "(0 new, 1 changed, 4 unchanged)" in summary
    subjects = {doc["_id"]: doc["subject"] for doc in server.docs("app", "templates")}
    assert subjects == {"extra": "kept", "welcome": "Hi", "reset": "Reset"}


def test_replace_drops_each_seeded_collection_first(servers, stack):
    server = servers()
    server.collection("app", "templates")["docs"]["extra"] = {"_id": "extra", "subject": "gone"}
    server.collection("app", "untouched")["docs"][1] = {"_id": 1}

    _, summary = drive(run_seed_step(stack, seed_step(server.uri), {}, replace=True))

    assert sorted(doc["drop"] for doc in server.named("drop")) == ["templates", "users"]
    assert server.docs("app", "templates") == TEMPLATES
    assert server.docs("app", "untouched") == [{"_id": 1}]
    assert "(5 new, 0 changed, 0 unchanged)" in summary


def test_documents_go_in_batches(servers, stack):
    server = servers()
    drive(run_seed_step(stack, seed_step(server.uri, batch_size=2), {}))
    sizes = [len(doc["updates"]) for doc in server.named("update") if doc["update"] == "users"]
    assert sizes == [2, 1]


def test_index_with_other_options_is_a_seed_error_that_suggests_replace(servers, stack):
    server = servers()
    server.collection("app", "users")["indexes"].append({"v": 2, "key": {"email": 1}, "name": "email_1"})
    with pytest.raises(SeedFailed) as caught:
        drive(run_seed_step(stack, seed_step(server.uri), {}))
    assert "an index exists with other options" in caught.value.message
    assert "--replace" in caught.value.hint
    assert caught.value.where == "seeds/mongo/app/users.json"


def test_rejected_document_names_its_file_and_line(servers, stack):
    server = servers()
    server.collection("app", "users", validator={"tags": ["a", "b"]})
    with pytest.raises(SeedFailed) as caught:
        drive(run_seed_step(stack, seed_step(server.uri), {}))
    assert caught.value.where == "seeds/mongo/app/users.json:1"
    assert "Document failed validation" in caught.value.message


def test_empty_seed_folder_connects_to_nothing(tmp_path):
    (tmp_path / "seeds/mongo").mkdir(parents=True)
    uri = f"mongodb://127.0.0.1:{_free_port()}/?directConnection=true"
    events, summary = drive(run_seed_step(SimpleNamespace(root=tmp_path), seed_step(uri, timeout=0.2), {}))
    assert events == []
    assert summary == "nothing to load: no seed files in seeds/mongo"


def test_seed_dir_and_uri_take_references(servers, stack):
    server = servers()
    values = {"SEED_DIR": "seeds/mongo", "MONGO_PORT": str(server.server.port)}
    step = seed_step("mongodb://127.0.0.1:${MONGO_PORT}/?directConnection=true&serverMonitoringMode=poll",
                     dir="${SEED_DIR}")
    _, summary = drive(run_seed_step(stack, step, values))
    assert summary.startswith("2 collections, 5 documents")


# -- copying --------------------------------------------------------------------------------------


@pytest.fixture
def source(servers) -> MongoStandIn:
    """A server with db `prod`: a capped collection, a collection with indexes, a view, a time series."""
    server = servers()
    events = server.collection("prod", "events", capped=True, size=4096)
    for number in range(5):
        events["docs"][number] = {"_id": number, "kind": "click"}
    people = server.collection("prod", "people")
    people["docs"]["p1"] = {"_id": "p1", "name": "Ada"}
    people["indexes"].append({"v": 2, "key": {"name": 1}, "name": "name_1", "unique": True})
    server.dbs["prod"]["clicks"] = {"view": {"viewOn": "events", "pipeline": [{"$match": {"kind": "click"}}]}}
    server.collection("prod", "metrics", type="timeseries")
    server.collection("prod", "system.views")
    return server


def test_copy_database_copies_collections_in_batches_indexes_and_views(servers, source):
    target = servers()
    events, summary = drive(copy_database(source.uri, target.uri, "prod", batch_size=2, timeout=5))

    assert target.docs("prod", "events") == source.docs("prod", "events")
    assert target.docs("prod", "people") == [{"_id": "p1", "name": "Ada"}]
    creates = {doc["create"]: doc for doc in target.named("create")}
    assert creates["events"]["capped"] is True and creates["events"]["size"] == 4096
    assert creates["clicks"]["viewOn"] == "events"
    assert creates["clicks"]["pipeline"] == [{"$match": {"kind": "click"}}]
    assert "metrics" not in creates and "system.views" not in creates
    assert [len(doc["updates"]) for doc in target.named("update") if doc["update"] == "events"] == [2, 2, 1]
    assert source.named("getMore"), "the source was read in batches"
    assert [spec["name"] for doc in target.named("createIndexes") for spec in doc["indexes"]] == ["name_1"]
    assert summary == "2 collections, 6 documents (6 new, 0 changed, 0 unchanged), 1 indexes, 1 views"
    assert any("metrics: skipped (timeseries" in event.message for event in events)


def test_copying_again_upserts_and_redefines_views_in_place(servers, source):
    target = servers()
    drive(copy_database(source.uri, target.uri, "prod", timeout=5))
    source.dbs["prod"]["clicks"]["view"]["pipeline"] = [{"$match": {"kind": "view"}}]
    source.dbs["prod"]["people"]["docs"]["p1"]["name"] = "Ada L."

    _, summary = drive(copy_database(source.uri, target.uri, "prod", timeout=5))

    assert "(0 new, 1 changed, 5 unchanged)" in summary
    assert target.dbs["prod"]["clicks"]["view"]["pipeline"] == [{"$match": {"kind": "view"}}]
    assert len(target.named("create")) == 3  # only the first copy created anything
    assert target.named("collMod")


def test_copy_with_replace_drops_target_collections_first(servers, source):
    target = servers()
    target.collection("prod", "people")["docs"]["stale"] = {"_id": "stale"}
    drive(copy_database(source.uri, target.uri, "prod", replace=True, timeout=5))
    assert target.docs("prod", "people") == [{"_id": "p1", "name": "Ada"}]
    assert [doc["drop"] for doc in target.named("drop")] == ["people"]


def test_copy_onto_the_same_server_is_refused(source):
    with pytest.raises(SeedFailed, match="same MongoDB server"):
        drive(copy_database(source.uri, source.uri, "prod", replace=True, timeout=5))
    assert source.named("drop") == []


def test_unreachable_source_is_reported_with_the_password_masked(servers):
    target = servers()
    uri = f"mongodb://copier:hunter2-secret@127.0.0.1:{_free_port()}/?serverSelectionTimeoutMS=200"
    with pytest.raises(SeedFailed) as caught:
        drive(copy_database(uri, target.uri, "prod", timeout=0.5))
    assert "does not answer" in caught.value.message
    assert "copier:********@127.0.0.1" in caught.value.message
    assert "hunter2-secret" not in caught.value.one_line()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
