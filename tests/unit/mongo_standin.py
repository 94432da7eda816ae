"""A stateful MongoDB stand-in on the wire (mockupdb), for the seed and copy tests.

No mongod can be installed on this machine. mockupdb answers the real pymongo
client over the real wire protocol; this handler gives it just enough memory to
behave like one writable primary for the commands seeding and copying send:
hello/ping, listCollections, create, drop, collMod, update (upserts), find and
getMore, listIndexes, createIndexes, and for snapshots listDatabases,
dropDatabase and insert. Replies and error codes follow the server's.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

from bson import ObjectId
from mockupdb import MockupDB


class MongoStandIn:
    """One writable primary holding databases in memory; records every command it gets."""

    def __init__(self) -> None:
        # db -> collection -> {"docs": {_id: doc}, "options": {...}, "indexes": [spec], "view": {...}}
        self.dbs: dict[str, dict[str, dict[str, Any]]] = {}
        self.commands: list[tuple[str, dict[str, Any]]] = []
        self.process_id = ObjectId()
        self.cursors: dict[int, tuple[str, list[dict[str, Any]]]] = {}
        self.cursor_ids = itertools.count(1001)
        self.lock = threading.Lock()
        self.server = MockupDB(auto_ismaster=False)
        self.server.autoresponds(self.handle)

    # -- test-side helpers -------------------------------------------------------------

    def start(self) -> "MongoStandIn":
        self.server.run()
        return self

    def stop(self) -> None:
        # Sockets close at once; mockupdb's accept loop takes up to 1 s more, which nobody waits for.
        threading.Thread(target=self.server.stop, daemon=True).start()

    @property
    def uri(self) -> str:
        # Polling monitoring: the stand-in answers a streaming hello at once, which would spin.
        return f"mongodb://127.0.0.1:{self.server.port}/?directConnection=true&serverMonitoringMode=poll"

    def collection(self, db: str, name: str, **options: Any) -> dict[str, Any]:
        """The stored collection (created, with options, when missing)."""
        return self.dbs.setdefault(db, {}).setdefault(
            name, {"docs": {}, "options": dict(options), "indexes": [{"v": 2, "key": {"_id": 1}, "name": "_id_"}]})

    def docs(self, db: str, name: str) -> list[dict[str, Any]]:
        return [dict(doc) for doc in self.dbs.get(db, {}).get(name, {}).get("docs", {}).values()]

    def named(self, command: str) -> list[dict[str, Any]]:
        return [doc for name, doc in self.commands if name == command]

    # -- the wire side ---------------------------------------------------------------------

    def handle(self, request) -> bool:
        name = request.command_name
        doc = dict(request.doc)
        db = doc.get("$db", "admin")
        with self.lock:
            self.commands.append((name, doc))
            handler = getattr(self, f"on_{name.lower()}", None)
            if handler is None:
                return request.command_err(59, f"no such command: '{name}'", codeName="CommandNotFound")
            reply = handler(db, doc)
        if isinstance(reply, tuple):
            code, message = reply
            return request.command_err(code, message)
        return request.ok(reply)

    def on_hello(self, db, doc):
        return {"isWritablePrimary": True, "ismaster": True, "helloOk": True, "maxWireVersion": 21,
                "minWireVersion": 0, "maxBsonObjectSize": 16777216, "maxMessageSizeBytes": 48000000,
                "maxWriteBatchSize": 100000, "topologyVersion": {"processId": self.process_id, "counter": 0}}

    on_ismaster = on_hello

    def on_ping(self, db, doc):
        return {}

    def on_endsessions(self, db, doc):
        return {}

    def on_listcollections(self, db, doc):
        wanted = doc.get("filter") or {}
        batch = []
        for name, coll in self.dbs.get(db, {}).items():
            kind = "view" if "view" in coll else coll["options"].get("type", "collection")
            entry = {"name": name, "type": kind,
                     "options": dict(coll["view"]) if "view" in coll else
                     {k: v for k, v in coll["options"].items() if k != "type"},
                     "info": {"readOnly": kind == "view"}}
            if all(entry.get(key) == value for key, value in wanted.items()):
                batch.append(entry)
        return {"cursor": {"id": 0, "ns": f"{db}.$cmd.listCollections", "firstBatch": batch}}

    def on_create(self, db, doc):
        name = doc["create"]
        if name in self.dbs.get(db, {}):
            return 48, f"Collection {db}.{name} already exists."
        options = {k: v for k, v in doc.items() if k not in ("create", "$db", "lsid", "$readPreference")}
        if "viewOn" in options:
            self.dbs.setdefault(db, {})[name] = {"view": {"viewOn": options["viewOn"],
                                                          "pipeline": options.get("pipeline", [])}}
        else:
            self.collection(db, name, **options)
        return {}

    def on_drop(self, db, doc):
        if self.dbs.get(db, {}).pop(doc["drop"], None) is None:
            return 26, "ns not found"
        return {}

    def on_collmod(self, db, doc):
        coll = self.dbs.get(db, {}).get(doc["collMod"])
        if coll is None or "view" not in coll:
            return 26, "ns does not exist"
        coll["view"] = {"viewOn": doc["viewOn"], "pipeline": doc["pipeline"]}
        return {}

    def on_update(self, db, doc):
        coll = self.collection(db, doc["update"])
        matched = modified = 0
        upserted, errors = [], []
        for index, update in enumerate(doc["updates"]):
            new = dict(update["u"])
            if coll["options"].get("validator") and not all(
                    new.get(key) == value for key, value in coll["options"]["validator"].items()):
                errors.append({"index": index, "code": 121, "errmsg": "Document failed validation"})
                continue
            key = update["q"]["_id"]
            if key in coll["docs"]:
                matched += 1
                if coll["docs"][key] != new:
                    modified += 1
            elif update.get("upsert"):
                upserted.append({"index": index, "_id": key})
            else:
                continue  # a replace without upsert matches nothing and writes nothing
            coll["docs"][key] = new
        reply = {"n": matched + len(upserted), "nModified": modified, "upserted": upserted}
        if errors:
            reply["writeErrors"] = errors
        return reply

    def on_listdatabases(self, db, doc):
        names = sorted(set(self.dbs) | {"admin", "local"})
        return {"databases": [{"name": name, "sizeOnDisk": 0, "empty": name not in self.dbs} for name in names],
                "totalSize": 0}

    def on_dropdatabase(self, db, doc):
        self.dbs.pop(db, None)
        return {"dropped": db}

    def on_insert(self, db, doc):
        coll = self.collection(db, doc["insert"])
        errors = []
        for index, new in enumerate(doc["documents"]):
            if new["_id"] in coll["docs"]:
                errors.append({"index": index, "code": 11000, "errmsg": "E11000 duplicate key error"})
                break
            coll["docs"][new["_id"]] = dict(new)
        reply = {"n": len(doc["documents"]) - len(errors)}
        if errors:
            reply["writeErrors"] = errors
        return reply

    def on_find(self, db, doc):
        docs = self.docs(db, doc["find"])
        return self._cursor(f"{db}.{doc['find']}", docs, doc.get("batchSize"), "firstBatch")

    def on_getmore(self, db, doc):
        namespace, rest = self.cursors.pop(int(doc["getMore"]))
        return self._cursor(namespace, rest, doc.get("batchSize"), "nextBatch")

    def on_killcursors(self, db, doc):
        for cursor_id in doc["cursors"]:
            self.cursors.pop(int(cursor_id), None)
        return {"cursorsKilled": doc["cursors"]}

    def on_listindexes(self, db, doc):
        coll = self.dbs.get(db, {}).get(doc["listIndexes"])
        if coll is None:
            return 26, "ns does not exist"
        return {"cursor": {"id": 0, "ns": f"{db}.{doc['listIndexes']}", "firstBatch": list(coll["indexes"])}}

    def on_createindexes(self, db, doc):
        coll = self.collection(db, doc["createIndexes"])
        for spec in doc["indexes"]:
            spec = {"v": 2, **dict(spec)}
            options = _index_options(spec)
            for existing in coll["indexes"]:
                if existing["name"] == spec["name"] and dict(existing["key"]) != dict(spec["key"]):
                    return 86, f"An existing index has the same name as the requested index: {existing}"
                if dict(existing["key"]) == dict(spec["key"]) and (
                        existing["name"] != spec["name"] or _index_options(existing) != options):
                    return 85, f"An equivalent index already exists with different options: {existing}"
            if not any(existing["name"] == spec["name"] for existing in coll["indexes"]):
                coll["indexes"].append(spec)
        return {"numIndexesAfter": len(coll["indexes"])}

    def _cursor(self, namespace, docs, batch_size, field):
        size = batch_size or 101
        batch, rest = docs[:size], docs[size:]
        cursor_id = 0
        if rest:
            cursor_id = next(self.cursor_ids)
            self.cursors[cursor_id] = (namespace, rest)
        return {"cursor": {"id": cursor_id, "ns": namespace, field: batch}}


def _index_options(spec):
    return {k: v for k, v in spec.items() if k not in ("key", "name", "v", "ns")}
