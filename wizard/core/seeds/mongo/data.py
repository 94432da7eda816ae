"""MongoDB data: load ``seeds/mongo`` idempotently, or copy a database from another server.

Seeds are ``<dir>/<db>/<collection>.json`` in Extended JSON (what ``mongoexport``
writes: one document a line, or a JSON array), read with ``bson.json_util``, and
optional ``<collection>.indexes.json`` (what ``getIndexes()`` prints, or a
mongodump ``metadata.json``). Loading upserts by ``_id``, so running it twice
changes nothing; ``replace`` drops each seeded collection first.

Connection strings are never stored, and are printed only with the password masked.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generator, Iterable, Iterator, Mapping

from wizard.core.support.errors import ConfigError, SeedFailed
from wizard.core.support.events import StepProgress
from wizard.core.seeds.mongo.replicaset import (
    DEFAULT_POLL_INTERVAL,
    DEFAULT_TIMEOUT,
    connect,
    server_message,
    wait_for_writable_primary,
    wait_until_answering,
)
from wizard.core.seeds.steps import step_folder, step_seconds, step_text
from wizard.core.support.files import shown_path
from wizard.core.support.lock import holding_lock
from wizard.core.support.redact import mask_url, scrub

DEFAULT_BATCH_SIZE = 1000
INDEXES_SUFFIX = ".indexes.json"
# Index fields the server adds that createIndexes does not take back.
_SERVER_INDEX_FIELDS = ("key", "v", "ns")
# Server codes for "an index with this name or these keys exists with other options".
_INDEX_CONFLICTS = (85, 86)


@dataclass(frozen=True)
class SeedCollection:
    """One collection to seed: its documents and index specs, read and checked up front."""

    db: str
    collection: str
    source: str  # the data (or index) file, relative to the stack, for messages
    documents: tuple[dict[str, Any], ...] = ()
    lines: tuple[int | None, ...] = ()  # the line of each document when the file has one a line
    indexes: tuple[dict[str, Any], ...] = ()

    @property
    def namespace(self) -> str:
        return f"{self.db}.{self.collection}"


@dataclass
class Totals:
    """What a load or copy did, for the summary line."""

    collections: int = 0
    documents: int = 0
    inserted: int = 0
    changed: int = 0
    indexes: int = 0
    views: int = 0

    def summary(self) -> str:
        """One line; a ``NothingToDo`` when no document was inserted or changed."""
        from wizard.core.seeds.steps import NothingToDo

        unchanged = self.documents - self.inserted - self.changed
        text = (f"{self.collections} collection{'s' if self.collections != 1 else ''}, "
                f"{self.documents} documents ({self.inserted} new, {self.changed} changed, {unchanged} unchanged), "
                f"{self.indexes} indexes")
        text += f", {self.views} views" if self.views else ""
        return NothingToDo(text) if self.inserted == 0 and self.changed == 0 else text


Progress = Generator[StepProgress, None, str]


# -- the init step and `launcher seed mongo` ------------------------------------------------


@holding_lock("seed mongo")
def run_seed_step(stack, step, values: Mapping[str, str], *, replace: bool = False) -> Progress:
    """The ``mongo-seeds`` init step: yields StepProgress, returns a summary.

    Params (``${NAME}`` resolved from values): ``uri``, ``dir`` (relative to the
    stack folder), ``timeout`` in seconds, ``batch_size``. Every seed file is read
    and checked before anything is written. Raises SeedFailed.
    """
    uri = step_text(step, values, "uri")
    folder = step_folder(stack, step, values)
    timeout = step_seconds(step, "timeout", DEFAULT_TIMEOUT)
    batch_size = _batch_size(step)
    seeds = read_seeds(folder, Path(stack.root))
    if not seeds:
        from wizard.core.seeds.steps import NothingToDo

        return NothingToDo(f"nothing to load: no seed files in {shown_path(folder, Path(stack.root))}")
    deadline = time.monotonic() + timeout
    client = connect(uri, timeout=timeout, direct=True)
    try:
        yield from wait_until_answering(client, uri, deadline, DEFAULT_POLL_INTERVAL, step.name)
        # Writes go to the primary only; right after initiation the node may still be electing itself.
        yield from wait_for_writable_primary(client, uri, deadline, DEFAULT_POLL_INTERVAL, step.name)
        totals = yield from load_seeds(client, seeds, replace=replace, batch_size=batch_size, step=step.name)
    finally:
        client.close()
    return totals.summary()


def read_seeds(folder: Path, root: Path) -> list[SeedCollection]:
    """Every collection under folder (``<db>/<collection>.json``), parsed; SeedFailed at the first bad file."""
    if not folder.is_dir():
        raise ConfigError(f"the Mongo seed folder {shown_path(folder, root)} does not exist",
                          "create it, or fix dir in the mongo-seeds step of stack.toml")
    seeds = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix == ".json":
            raise SeedFailed(f"{shown_path(entry, root)} is not inside a database folder",
                             f"move it to {shown_path(folder, root)}/<database>/{entry.name}")
        if entry.is_dir():
            seeds.extend(_read_database(entry, root))
    return seeds


def _read_database(folder: Path, root: Path) -> list[SeedCollection]:
    names: dict[str, dict[str, Path]] = {}
    for path in sorted(folder.glob("*.json")):
        if path.name.endswith(INDEXES_SUFFIX):
            names.setdefault(path.name[: -len(INDEXES_SUFFIX)], {})["indexes"] = path
        else:
            names.setdefault(path.stem, {})["data"] = path
    seeds = []
    for collection, files in sorted(names.items()):
        documents: list[tuple[int | None, dict[str, Any]]] = []
        if "data" in files:
            documents = read_documents(files["data"], shown_path(files["data"], root))
        indexes = read_indexes(files["indexes"], shown_path(files["indexes"], root)) if "indexes" in files else []
        source = files.get("data") or files["indexes"]
        seeds.append(SeedCollection(
            db=folder.name, collection=collection, source=shown_path(source, root),
            documents=tuple(doc for _, doc in documents), lines=tuple(line for line, _ in documents),
            indexes=tuple(indexes),
        ))
    return seeds


def read_documents(path: Path, display: str) -> list[tuple[int | None, dict[str, Any]]]:
    """(line, document) pairs from an Extended JSON file: an array, or one document a line.

    Every document needs an ``_id``: it is what makes loading twice a no-op.
    """
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        parsed = _parse_json(text, display, first_line=1)
        if not all(isinstance(doc, dict) for doc in parsed):
            raise SeedFailed(f"{display}: every element of the array must be a document",
                             "export with mongoexport --jsonArray, or write one {...} a line")
        documents = [(None, doc) for doc in parsed]
    else:
        documents = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            doc = _parse_json(line, display, first_line=number)
            if not isinstance(doc, dict):
                raise SeedFailed("expected one document ({...}) on this line", "write one document a line, "
                                 "or make the whole file a JSON array", where=f"{display}:{number}")
            documents.append((number, doc))
    for position, (line, doc) in enumerate(documents, start=1):
        if "_id" not in doc:
            where = f"{display}:{line}" if line else display
            what = "this document" if line else f"document #{position}"
            raise SeedFailed(f"{what} has no _id", "seeds are upserted by _id: export with mongoexport "
                             "(it keeps _id) or give each document a fixed _id", where=where)
    return documents


def read_indexes(path: Path, display: str) -> list[dict[str, Any]]:
    """Index specs from ``getIndexes()`` output (an array) or a mongodump metadata document."""
    parsed = _parse_json(path.read_text(encoding="utf-8"), display, first_line=1)
    specs = parsed.get("indexes") if isinstance(parsed, dict) else parsed
    if not isinstance(specs, list) or not all(isinstance(spec, dict) and isinstance(spec.get("key"), dict)
                                              and spec["key"] for spec in specs):
        raise SeedFailed(f"{display}: expected an array of index specs, each with a key document",
                         'write [{"key": {"email": 1}, "name": "email_1", "unique": true}] '
                         "(the output of db.collection.getIndexes())")
    return [spec for spec in specs if not _is_id_index(spec)]


def _parse_json(text: str, display: str, first_line: int) -> Any:
    from bson import json_util
    from bson.errors import BSONError

    try:
        return json_util.loads(text)
    except ValueError as exc:  # json.JSONDecodeError included
        line = first_line + getattr(exc, "lineno", 1) - 1
        reason = getattr(exc, "msg", None) or str(exc)
        raise SeedFailed(f"not valid Extended JSON: {reason}", "fix the file (bson.json_util reads it)",
                         where=f"{display}:{line}") from None
    except (BSONError, TypeError) as exc:  # a malformed $oid, $date, ...
        raise SeedFailed(f"not valid Extended JSON: {exc}", "fix the file (bson.json_util reads it)",
                         where=f"{display}:{first_line}") from None


def load_seeds(client, seeds: Iterable[SeedCollection], *, replace: bool = False,
               batch_size: int = DEFAULT_BATCH_SIZE, step: str = "mongo-data"
               ) -> Generator[StepProgress, None, Totals]:
    """Upsert every seed collection's documents by _id, then create its indexes."""
    from pymongo.errors import BulkWriteError, OperationFailure, PyMongoError

    totals = Totals()
    for seed in seeds:
        collection = client[seed.db][seed.collection]
        try:
            if replace:
                collection.drop()
            before = (totals.inserted, totals.changed)
            for start, batch in _batches(seed.documents, batch_size):
                try:
                    _upsert(collection, batch, totals)
                except BulkWriteError as exc:
                    raise _rejected(exc, seed, start) from None
            totals.indexes += _create_indexes(collection, seed.indexes, seed.source)
        except OperationFailure as exc:
            raise SeedFailed(f"{seed.namespace}: {server_message(exc)} (code {exc.code})",
                             "see the mongodb service logs", where=seed.source) from None
        except PyMongoError as exc:
            raise SeedFailed(f"{seed.namespace}: {type(exc).__name__}: {exc}",
                             "check that the mongodb group is healthy (`launcher status`) and run again",
                             where=seed.source) from None
        totals.collections += 1
        totals.documents += len(seed.documents)
        inserted, changed = totals.inserted - before[0], totals.changed - before[1]
        yield StepProgress(step, f"{seed.namespace}: {len(seed.documents)} documents "
                                 f"({inserted} new, {changed} changed), {len(seed.indexes)} indexes"
                                 + (" (replaced)" if replace else ""))
    return totals


def _upsert(collection, documents: Iterable[dict[str, Any]], totals: Totals) -> None:
    from pymongo import ReplaceOne

    requests = [ReplaceOne({"_id": doc["_id"]}, doc, upsert=True) for doc in documents]
    if not requests:
        return
    result = collection.bulk_write(requests, ordered=False)
    totals.inserted += result.upserted_count
    totals.changed += result.modified_count


def _create_indexes(collection, specs: Iterable[Mapping[str, Any]], source: str) -> int:
    from pymongo import IndexModel
    from pymongo.errors import OperationFailure

    models = [IndexModel(list(spec["key"].items()),
                         **{name: value for name, value in spec.items() if name not in _SERVER_INDEX_FIELDS})
              for spec in specs]
    if not models:
        return 0
    try:
        collection.create_indexes(models)
    except OperationFailure as exc:
        if exc.code in _INDEX_CONFLICTS:
            raise SeedFailed(f"{collection.full_name}: an index exists with other options: {server_message(exc)}",
                             "drop that index, or reload with `launcher seed mongo --replace`",
                             where=source) from None
        raise
    return len(models)


def _rejected(exc, seed: SeedCollection, start: int) -> SeedFailed:
    error = exc.details["writeErrors"][0]
    position = start + error["index"]
    line = seed.lines[position] if position < len(seed.lines) else None
    where = f"{seed.source}:{line}" if line else seed.source
    doc_id = seed.documents[position]["_id"]
    return SeedFailed(f"{seed.namespace}: document {doc_id!r} rejected: {error.get('errmsg')} "
                      f"(code {error.get('code')})", "fix the document, or reload with --replace", where=where)


# -- copying a database from another server ---------------------------------------------------


@holding_lock("seed mongo")
def copy_into_step(stack, step, values: Mapping[str, str], source_uri: str, db: str, *,
                   replace: bool = False) -> Progress:
    """Copy database db from source_uri into the server of a stack's ``mongo-seeds`` step (its uri, timeout)."""
    return (yield from copy_database(source_uri, step_text(step, values, "uri"), db, replace=replace,
                         timeout=step_seconds(step, "timeout", DEFAULT_TIMEOUT), step=step.name))


def copy_database(source_uri: str, target_uri: str, db: str, *, replace: bool = False,
                  batch_size: int = DEFAULT_BATCH_SIZE, timeout: float = DEFAULT_TIMEOUT,
                  step: str = "mongo-copy") -> Progress:
    """Copy database db from source_uri into the same name at target_uri; returns a summary.

    Collections (with their options) in batches of upserts by _id, their indexes,
    then views. replace drops each target collection or view first. The source
    URI is used as given (a replica set or mongodb+srv is fine); the target is one
    node. Neither URI is stored; both are shown only masked. Raises SeedFailed.
    """
    from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError

    deadline = time.monotonic() + timeout
    with connect(source_uri, timeout=timeout, direct=False) as source, \
            connect(target_uri, timeout=timeout, direct=True) as target:
        try:
            try:
                source_hello = source.admin.command("hello")
            except ConnectionFailure:
                raise SeedFailed(f"the source MongoDB at {mask_url(source_uri)} does not answer",
                                 "check the host, port and network access of the URI you gave") from None
            except OperationFailure as exc:
                raise SeedFailed(f"the source MongoDB at {mask_url(source_uri)} refused: {server_message(exc)}",
                                 "check the user and password in the URI you gave") from None
            yield from wait_until_answering(target, target_uri, deadline, DEFAULT_POLL_INTERVAL, step)
            yield from wait_for_writable_primary(target, target_uri, deadline, DEFAULT_POLL_INTERVAL, step)
            if _same_process(source_hello, target.admin.command("hello")):
                raise SeedFailed("the source and the target are the same MongoDB server",
                                 "give --from-uri the server to copy from, not the stack's own")
            yield StepProgress(step, f"copying {db} from {mask_url(source_uri)}")
            totals = yield from copy_between(source[db], target[db], replace=replace, batch_size=batch_size,
                                             step=step)
        except PyMongoError as exc:
            # Messages may quote a URI or a failing command: never let a password through.
            text = scrub(scrub(f"{type(exc).__name__}: {exc}", source_uri), target_uri)
            raise SeedFailed(f"copying {db} failed: {text}", "check both servers and run again; "
                             "the copy upserts by _id, so running it again is safe") from None
    return totals.summary()


def copy_between(source_db, target_db, *, replace: bool = False, batch_size: int = DEFAULT_BATCH_SIZE,
                 step: str = "mongo-copy") -> Generator[StepProgress, None, Totals]:
    """Copy every collection, index and view of source_db into target_db (pymongo Database objects)."""
    totals = Totals()
    infos = list(source_db.list_collections())
    existing = set(target_db.list_collection_names())
    for info in infos:
        kind = info.get("type", "collection")
        name = info["name"]
        if kind != "collection" or name.startswith("system."):
            if kind != "view":
                yield StepProgress(step, f"{source_db.name}.{name}: skipped ({kind} collections are not copied)")
            continue
        if replace and name in existing:
            target_db.drop_collection(name)
        if replace or name not in existing:
            # Options (capped, validator, collation, ...) only take effect at creation.
            target_db.create_collection(name, check_exists=False, **dict(info.get("options", {})))
        before = (totals.inserted, totals.changed)
        count = 0
        for _, batch in _batches(source_db[name].find({}, batch_size=batch_size), batch_size):
            _upsert(target_db[name], batch, totals)
            count += len(batch)
        indexes = [spec for spec in source_db[name].list_indexes() if not _is_id_index(spec)]
        totals.indexes += _create_indexes(target_db[name], indexes, f"{source_db.name}.{name}")
        totals.collections += 1
        totals.documents += count
        yield StepProgress(step, f"{target_db.name}.{name}: {count} documents ({totals.inserted - before[0]} new, "
                                 f"{totals.changed - before[1]} changed), {len(indexes)} indexes")
    for info in infos:
        if info.get("type") == "view":
            yield from _copy_view(target_db, info, existing, replace, step)
            totals.views += 1
    return totals


def _copy_view(target_db, info: Mapping[str, Any], existing: set[str], replace: bool, step: str
               ) -> Iterator[StepProgress]:
    name, options = info["name"], dict(info.get("options", {}))
    if name in existing and replace:
        target_db.drop_collection(name)
    if name in existing and not replace:
        # collMod redefines a view in place, so a second copy picks up a changed pipeline.
        target_db.command("collMod", name, viewOn=options["viewOn"], pipeline=options.get("pipeline", []))
    else:
        target_db.create_collection(name, check_exists=False, **options)
    yield StepProgress(step, f"{target_db.name}.{name}: view on {options['viewOn']}")


def _same_process(source_hello: Mapping[str, Any], target_hello: Mapping[str, Any]) -> bool:
    """True when both hellos come from one mongod (its topologyVersion.processId, 4.4+)."""
    source_id = (source_hello.get("topologyVersion") or {}).get("processId")
    target_id = (target_hello.get("topologyVersion") or {}).get("processId")
    return source_id is not None and source_id == target_id


# -- small helpers ------------------------------------------------------------------------------


def _batches(items: Iterable[Any], size: int) -> Iterator[tuple[int, list[Any]]]:
    """(start position, up to size items) chunks of any iterable, cursors included."""
    batch: list[Any] = []
    start = 0
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield start, batch
            start += size
            batch = []
    if batch:
        yield start, batch


def _is_id_index(spec: Mapping[str, Any]) -> bool:
    return spec.get("name") == "_id_" or dict(spec.get("key", {})) == {"_id": 1}


def _batch_size(step) -> int:
    raw = step.params.get("batch_size", DEFAULT_BATCH_SIZE)
    if isinstance(raw, bool) or not isinstance(raw, int) or raw <= 0:
        raise ConfigError(f"[steps.{step.name}] batch_size must be a positive whole number",
                          f"write batch_size = {DEFAULT_BATCH_SIZE}", where="stack.toml")
    return raw

