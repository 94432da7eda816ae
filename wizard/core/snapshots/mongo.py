"""MongoDB parts: every non-system database as canonical Extended JSON lines, through pymongo.

Canonical Extended JSON keeps every BSON type as it was (an int32 stays an int32,
a date a date, a Decimal128 a Decimal128), which plain JSON cannot. The part is
a stream of lines: a header per collection or view (its options and indexes),
then one line per document of that collection.

A restore makes the server hold exactly the snapshot: every non-system database
is dropped first, then each collection is created with its options, filled in
batches, and given its indexes; views are created with their pipelines.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Mapping

from wizard.core.support.errors import SnapshotInvalid
from wizard.core.manifest.kinds import MONGO, steps_on

SYSTEM_DATABASES = {"admin", "local", "config"}
BATCH = 1000
FLUSH = 1 << 20  # bytes of lines handed out at once
TIMEOUT = 30.0


def uris(stack, values: Mapping[str, str]) -> list[tuple[str, str]]:
    """(step name, uri) of every Mongo step, one per distinct server URI."""
    from wizard.core.seeds.mongo.replicaset import step_text

    found: dict[str, str] = {}
    for step in steps_on(stack.steps, MONGO):
        if "uri" in step.params:
            found.setdefault(step_text(step, values, "uri"), step.name)
    return [(step, uri) for uri, step in found.items()]


def host_port(uri: str) -> tuple[str, int]:
    """The first host of a mongodb:// URI and its port (27017 when not given)."""
    hosts = uri.partition("://")[2].partition("/")[0].partition("?")[0].rpartition("@")[2]
    first = hosts.split(",")[0]
    if first.startswith("["):  # [::1]:27017
        host, _, rest = first[1:].partition("]")
        port = rest.lstrip(":")
    else:
        host, _, port = first.partition(":")
    return host, int(port) if port.isdigit() else 27017


def part_name(service: str) -> str:
    from wizard.core.snapshots.manifest import part_name as fitted

    return fitted("mongo-", re.sub(r"[^A-Za-z0-9._-]", "_", service), ".ejson")


def dump(uri: str, *, timeout: float = TIMEOUT) -> Iterator[bytes]:
    """Every non-system database of the server as Extended JSON lines."""
    from wizard.core.seeds.mongo.replicaset import connect

    client = connect(uri, timeout=timeout, direct=True)
    lines: list[bytes] = []
    size = 0
    with _failures("saving", uri):
        for record in _records(client):
            lines.append(_line(record))
            size += len(lines[-1])
            if size >= FLUSH:
                yield b"".join(lines)
                lines, size = [], 0
        if lines:
            yield b"".join(lines)
        client.close()


def _records(client) -> Iterator[dict[str, Any]]:
    for database in sorted(client.list_database_names()):
        if database in SYSTEM_DATABASES:
            continue
        db = client[database]
        for info in sorted(db.list_collections(), key=lambda item: item["name"]):
            name = info["name"]
            if name.startswith("system."):
                continue
            kind = info.get("type", "collection")
            header = {"database": database, "name": name, "type": kind, "options": dict(info.get("options") or {})}
            if kind == "collection":
                header["indexes"] = [dict(spec) for spec in db[name].list_indexes() if spec.get("name") != "_id_"]
            yield {"collection": header}
            if kind == "collection":
                for document in db[name].find({}, batch_size=BATCH):
                    yield {"document": document}


def _line(record: Mapping[str, Any]) -> bytes:
    from bson.json_util import CANONICAL_JSON_OPTIONS, dumps

    return dumps(record, json_options=CANONICAL_JSON_OPTIONS).encode("utf-8") + b"\n"


def restore(uri: str, chunks: Iterable[bytes], *, timeout: float = TIMEOUT) -> None:
    """Replace every non-system database of the server with the part's."""
    from wizard.core.seeds.mongo.replicaset import connect

    client = connect(uri, timeout=timeout, direct=True)
    with _failures("restoring", uri):
        for database in client.list_database_names():
            if database not in SYSTEM_DATABASES:
                client.drop_database(database)
        current: dict[str, Any] | None = None
        batch: list[dict[str, Any]] = []
        for record in _read(chunks):
            if "document" in record:
                if current is None or current["type"] != "collection":
                    raise SnapshotInvalid("a Mongo part has a document before its collection",
                                          "the snapshot is damaged; use another one")
                batch.append(record["document"])
                if len(batch) >= BATCH:
                    client[current["database"]][current["name"]].insert_many(batch, ordered=True)
                    batch = []
                continue
            _finish(client, current, batch)
            batch = []
            current = record["collection"]
            _create(client, current)
        _finish(client, current, batch)
        client.close()


@contextmanager
def _failures(doing: str, uri: str):
    """A server error as one line naming the server (password masked); the client is closed either way."""
    from pymongo.errors import PyMongoError

    from wizard.core.support.redact import mask_url, scrub
    from wizard.core.snapshots.postgres import SnapshotStepFailed

    try:
        yield
    except PyMongoError as exc:
        raise SnapshotStepFailed(f"{doing} MongoDB at {mask_url(uri)} failed: {scrub(str(exc), uri)}",
                                 "check that the mongodb service is healthy (`launcher status`)") from None


def _create(client, header: Mapping[str, Any]) -> None:
    db = client[header["database"]]
    # Options as the server listed them are exactly what `create` takes (viewOn and pipeline for views).
    db.command({"create": header["name"], **header.get("options", {})})


def _finish(client, header: Mapping[str, Any] | None, batch: list[dict[str, Any]]) -> None:
    """The collection's last documents, then its indexes (built once, over all the data)."""
    if header is None or header["type"] != "collection":
        return
    collection = client[header["database"]][header["name"]]
    if batch:
        collection.insert_many(batch, ordered=True)
    indexes = [{key: value for key, value in spec.items() if key not in ("v", "ns")}
               for spec in header.get("indexes") or []]
    if indexes:
        client[header["database"]].command({"createIndexes": header["name"], "indexes": indexes})


def _read(chunks: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    from bson.json_util import CANONICAL_JSON_OPTIONS, loads

    pending = b""
    for data in chunks:
        pending += data
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if line.strip():
                yield _parse(line, loads, CANONICAL_JSON_OPTIONS)
    if pending.strip():
        yield _parse(pending, loads, CANONICAL_JSON_OPTIONS)


def _parse(line: bytes, loads, options) -> dict[str, Any]:
    try:
        record = loads(line.decode("utf-8"), json_options=options)
    except ValueError as exc:
        raise SnapshotInvalid(f"a Mongo part has a line that is not Extended JSON ({exc})",
                              "the snapshot is damaged; use another one") from None
    if not isinstance(record, dict) or not ({"collection", "document"} & record.keys()):
        raise SnapshotInvalid("a Mongo part has a line that is neither a collection nor a document",
                              "the snapshot is damaged; use another one")
    return record
