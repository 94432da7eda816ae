"""The Mongo part of a snapshot against the protocol stand-in (no mongod can be installed here):
the real pymongo client, the real wire protocol, canonical Extended JSON in between."""

from __future__ import annotations

import datetime
import json

import pytest
from bson import Binary, Decimal128, ObjectId
from bson.int64 import Int64

from tests.unit.mongo_standin import MongoStandIn
from wizard.core.support.errors import SnapshotInvalid
from wizard.core.snapshots import mongo
from wizard.core.snapshots.postgres import SnapshotStepFailed

PEOPLE = [
    {"_id": ObjectId("65a000000000000000000001"), "name": "Ann", "age": 41, "big": Int64(5), "score": 1.0,
     "born": datetime.datetime(1983, 5, 1, 12, 30, 15, 123000), "balance": Decimal128("10.10"),
     "avatar": Binary(b"\x00\x01\xff", 0), "tags": ["a", {"nested": True}], "none": None},
    {"_id": "text-id", "name": "Émile ☃", "age": 7},
]


@pytest.fixture
def servers():
    source, target = MongoStandIn().start(), MongoStandIn().start()
    yield source, target
    source.stop()
    target.stop()


def fill(server: MongoStandIn) -> None:
    from pymongo import MongoClient

    client = MongoClient(server.uri, serverSelectionTimeoutMS=3000)
    client.app.create_collection("people", validator={"name": {"$type": "string"}})
    client.app.people.insert_many([dict(doc) for doc in PEOPLE])
    client.app.people.create_index("name", unique=True, name="name_unique")
    client.app.command({"create": "adults", "viewOn": "people", "pipeline": [{"$match": {"age": {"$gte": 18}}}]})
    client.logs.events.insert_one({"_id": 1, "at": datetime.datetime(2026, 1, 1)})
    client.close()


def test_every_database_round_trips_with_its_types_indexes_and_views(servers):
    source, target = servers
    fill(source)
    target.collection("stale", "junk")["docs"]["x"] = {"_id": "x"}  # what the target held before goes

    data = b"".join(mongo.dump(source.uri))
    lines = [json.loads(line) for line in data.splitlines()]
    assert [line["collection"]["name"] for line in lines if "collection" in line] == ["adults", "people", "events"]
    text = data.decode()
    for typed in ('"$oid"', '"$date"', '"$numberDecimal"', '"$numberLong": "5"', '"$numberInt": "41"',
                  '"$numberDouble": "1.0"', '"$binary"'):
        assert typed in text

    mongo.restore(target.uri, [data[:100], data[100:]])  # chunk borders fall mid-line
    assert "stale" not in target.dbs
    assert target.docs("app", "people") == source.docs("app", "people")
    restored = {doc["_id"]: doc for doc in target.docs("app", "people")}
    first = restored[PEOPLE[0]["_id"]]
    assert isinstance(first["big"], Int64) and isinstance(first["score"], float)
    assert first["balance"] == Decimal128("10.10") and first["born"] == PEOPLE[0]["born"]
    assert [spec["name"] for spec in target.dbs["app"]["people"]["indexes"]] == ["_id_", "name_unique"]
    assert target.dbs["app"]["people"]["indexes"][1].get("unique") is True
    assert target.dbs["app"]["people"]["options"] == {"validator": {"name": {"$type": "string"}}}
    assert target.dbs["app"]["adults"]["view"] == {"viewOn": "people", "pipeline": [{"$match": {"age": {"$gte": 18}}}]}
    assert target.docs("logs", "events") == [{"_id": 1, "at": datetime.datetime(2026, 1, 1)}]


def test_a_damaged_part_is_refused_and_an_absent_server_is_one_line(servers):
    source, target = servers
    with pytest.raises(SnapshotInvalid, match="not Extended JSON"):
        mongo.restore(target.uri, [b'{"collection": {"database": "a", "name": "b", "type": "collection"}}\n{oops\n'])
    with pytest.raises(SnapshotInvalid, match="before its collection"):
        mongo.restore(target.uri, [b'{"document": {"_id": 1}}\n'])
    with pytest.raises(SnapshotStepFailed, match=r"MongoDB at mongodb://root:\*{8}@127.0.0.1:1/") as failed:
        b"".join(mongo.dump("mongodb://root:hunter2@127.0.0.1:1/?directConnection=true", timeout=0.5))
    assert "hunter2" not in str(failed.value.one_line())


@pytest.mark.parametrize("uri, expected", [
    ("mongodb://root:p%40ss@127.0.0.1:27018/?directConnection=true&authSource=admin", ("127.0.0.1", 27018)),
    ("mongodb://h1:1,h2:2/db", ("h1", 1)),
    ("mongodb://localhost/", ("localhost", 27017)),
    ("mongodb://u:p@[::1]:5/", ("::1", 5)),
])
def test_the_server_a_uri_names_is_found_to_match_its_container(uri, expected):
    assert mongo.host_port(uri) == expected
