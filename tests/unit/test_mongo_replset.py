"""Replica-set initiation with the real pymongo client against a wire-protocol stand-in.

No mongod can be installed on this machine, so each test starts a mockupdb server
that answers the commands a single mongod node would (hello, ping,
replSetGetStatus, replSetInitiate) with the replies and error codes a real server
sends in that state.
"""

from __future__ import annotations

import socket
import threading
from types import MappingProxyType

import pytest
from mockupdb import MockupDB

from wizard.core.support.errors import ConfigError, SeedFailed
from wizard.core.support.events import StepProgress, consume
from wizard.core.seeds.mongo.replicaset import run_replica_set_step
from wizard.core.support.redact import mask_url as mask_uri
from wizard.core.support.redact import scrub
from wizard.core.seeds.steps import NothingToDo
from wizard.core.manifest.stack import Step

MEMBER = "mongodb:27017"


class MongoNode:
    """One mongod as seen over the wire, in a chosen replica-set state."""

    def __init__(self, *, repl_set: str | None = "rs0", initiated: bool = False, election_polls: int = 0,
                 initiate_error: tuple[int, str] | None = None, auth_error: bool = False,
                 port: int | None = None) -> None:
        self.repl_set = repl_set  # None = started without --replSet
        self.initiated = initiated
        self.election_polls = election_polls  # hello replies that are not yet primary after initiation
        self.initiate_error = initiate_error
        self.auth_error = auth_error
        self.commands: list[tuple[str, dict]] = []
        self.hellos_after_initiate = 0
        self.lock = threading.Lock()
        self.server = MockupDB(port=port, auto_ismaster=False)
        self.server.autoresponds(self.handle)

    def start(self) -> "MongoNode":
        self.server.run()
        return self

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.server.port}/?directConnection=true"

    def names(self) -> list[str]:
        return [name for name, _ in self.commands]

    def handle(self, request) -> bool:
        name = request.command_name
        with self.lock:
            self.commands.append((name, dict(request.doc)))
            if name.lower() in ("hello", "ismaster"):
                return request.ok(self.hello())
            if name == "ping":
                return request.ok()
            if name == "saslStart" and self.auth_error:
                return request.command_err(18, "Authentication failed.", codeName="AuthenticationFailed")
            if name == "replSetGetStatus":
                return self.status(request)
            if name == "replSetInitiate":
                return self.initiate(request)
            return request.command_err(59, f"no such command: '{name}'", codeName="CommandNotFound")

    def hello(self) -> dict:
        base = {"maxWireVersion": 21, "minWireVersion": 0, "helloOk": True, "maxBsonObjectSize": 16777216,
                "maxMessageSizeBytes": 48000000, "maxWriteBatchSize": 100000}
        if self.repl_set is None:
            return {**base, "isWritablePrimary": True, "ismaster": True}
        if not self.initiated:
            return {**base, "isWritablePrimary": False, "ismaster": False, "secondary": False,
                    "isreplicaset": True, "info": "Does not have a valid replica set config"}
        self.hellos_after_initiate += 1
        if self.hellos_after_initiate <= self.election_polls:
            return {**base, "isWritablePrimary": False, "ismaster": False, "secondary": True,
                    "setName": self.repl_set, "hosts": [MEMBER]}
        return {**base, "isWritablePrimary": True, "ismaster": True, "secondary": False,
                "setName": self.repl_set, "hosts": [MEMBER], "primary": MEMBER, "me": MEMBER}

    def status(self, request) -> bool:
        if self.repl_set is None:
            return request.command_err(76, "not running with --replSet", codeName="NoReplicationEnabled")
        if not self.initiated:
            return request.command_err(94, "no replset config has been received", codeName="NotYetInitialized")
        return request.ok(set=self.repl_set, myState=1, members=[{"_id": 0, "name": MEMBER, "stateStr": "PRIMARY"}])

    def initiate(self, request) -> bool:
        if self.initiate_error:
            code, message = self.initiate_error
            return request.command_err(code, message)
        if self.initiated:
            return request.command_err(23, "already initialized", codeName="AlreadyInitialized")
        self.initiated = True
        return request.ok()

    def stop(self) -> None:
        # stop() closes the sockets at once, then waits up to 1 s for mockupdb's accept loop
        # (a 1 s select); nothing needs that wait, so it happens off the test's thread.
        threading.Thread(target=self.server.stop, daemon=True).start()


@pytest.fixture
def nodes():
    started: list[MongoNode] = []

    def make(**kwargs) -> MongoNode:
        node = MongoNode(**kwargs)
        started.append(node)
        return node.start()

    yield make
    for node in started:
        node.stop()


def replica_set_step(uri: str, **params) -> Step:
    raw = {"uri": uri, "member_host": MEMBER, "replica_set": "rs0", "timeout": 5, "poll_interval": 0.02, **params}
    return Step(name="mongo-replica-set", kind="mongo-replica-set", after="mongodb", params=MappingProxyType(raw))


def drive(generator):
    """Run a step generator to the end: (events, the summary it returned)."""
    events = []
    return events, consume(generator, events.append)


def messages(events) -> list[str]:
    assert all(isinstance(event, StepProgress) for event in events)
    return [event.message for event in events]


def test_not_initiated_node_is_initiated_with_the_member_host(nodes):
    node = nodes()
    events, summary = drive(run_replica_set_step(None, replica_set_step(node.uri), {}))

    initiates = [doc for name, doc in node.commands if name == "replSetInitiate"]
    assert len(initiates) == 1
    assert initiates[0]["replSetInitiate"] == {"_id": "rs0", "members": [{"_id": 0, "host": MEMBER}]}
    assert "initiated with mongodb:27017" in summary
    assert not isinstance(summary, NothingToDo)
    assert any("initiating replica set rs0" in message for message in messages(events))


def test_already_initiated_node_is_left_alone(nodes):
    node = nodes(initiated=True)
    events, summary = drive(run_replica_set_step(None, replica_set_step(node.uri), {}))

    assert "replSetInitiate" not in node.names()
    assert "replSetGetStatus" in node.names()
    assert "already initiated" in summary
    assert isinstance(summary, NothingToDo)  # StepFinished.skipped


class RacingNode(MongoNode):
    """Not initiated when asked for its status, but another client initiates it just before we do."""

    def initiate(self, request) -> bool:
        self.initiated = True
        return request.command_err(23, "already initialized", codeName="AlreadyInitialized")


def test_already_initialized_reply_to_initiate_counts_as_done():
    node = RacingNode().start()
    try:
        _, summary = drive(run_replica_set_step(None, replica_set_step(node.uri), {}))
    finally:
        node.stop()
    assert "already initiated" in summary
    assert node.names().count("replSetInitiate") == 1


def test_server_without_repl_set_option_is_one_line_saying_what_to_fix(nodes):
    node = nodes(repl_set=None)
    with pytest.raises(SeedFailed) as caught:
        drive(run_replica_set_step(None, replica_set_step(node.uri), {}))

    line = caught.value.one_line()
    assert "without --replSet" in line
    assert "--replSet rs0" in caught.value.hint
    assert "\n" not in line
    assert "replSetInitiate" not in node.names()


@pytest.mark.parametrize("code, errmsg", [
    (93, "No host described in new configuration with {version: 1, term: 0} for replica set rs0 maps to this node"),
    (74, "No host described in new configuration\n maps to this node"),
])
def test_member_host_that_does_not_map_to_the_node_is_one_line(nodes, code, errmsg):
    node = nodes(initiate_error=(code, errmsg))
    with pytest.raises(SeedFailed) as caught:
        drive(run_replica_set_step(None, replica_set_step(node.uri), {}))

    line = caught.value.one_line()
    assert "\n" not in line
    assert MEMBER in caught.value.message
    assert "maps to this node" in caught.value.message
    assert "member_host in [steps.mongo-replica-set]" in caught.value.hint


def test_slow_election_waits_for_a_writable_primary(nodes):
    node = nodes(election_polls=5)
    events, summary = drive(run_replica_set_step(None, replica_set_step(node.uri), {}))

    assert "primary is writable" in summary
    # Every not-primary reply was seen and one more (the primary) ended the wait.
    assert node.hellos_after_initiate >= node.election_polls + 1
    assert "waiting for a writable primary (node is secondary)" in messages(events)


def test_node_that_never_becomes_primary_fails_within_the_timeout(nodes):
    node = nodes(election_polls=10**9)
    with pytest.raises(SeedFailed) as caught:
        drive(run_replica_set_step(None, replica_set_step(node.uri, timeout=0.5), {}))

    assert "not a writable primary" in caught.value.message
    assert "node is secondary" in caught.value.message


def test_server_that_answers_late_is_waited_for():
    port = _free_port()
    node = MongoNode(port=port)
    timer = threading.Timer(1.5, node.start)  # longer than one server-selection attempt
    timer.start()
    try:
        events, summary = drive(run_replica_set_step(None, replica_set_step(node.uri), {}))
    finally:
        timer.join()
        node.stop()
    assert any(message.startswith("waiting for MongoDB at") for message in messages(events))
    assert "initiated with" in summary


def test_server_that_never_answers_fails_bounded():
    uri = f"mongodb://127.0.0.1:{_free_port()}/?directConnection=true"
    with pytest.raises(SeedFailed) as caught:
        drive(run_replica_set_step(None, replica_set_step(uri, timeout=0.3), {}))
    assert "did not answer within" in caught.value.message


def test_uri_references_are_resolved_and_the_password_is_never_shown(nodes):
    node = nodes(auth_error=True)
    uri = "mongodb://root:${MONGO_ROOT_PASSWORD}@127.0.0.1:${MONGO_PORT}/?directConnection=true&authSource=admin"
    values = {"MONGO_ROOT_PASSWORD": "s3cret-pass", "MONGO_PORT": str(node.server.port)}
    with pytest.raises(SeedFailed) as caught:
        drive(run_replica_set_step(None, replica_set_step(uri), values))

    assert "refused the user and password" in caught.value.message
    assert "s3cret-pass" not in caught.value.one_line()
    assert "root:********@127.0.0.1" in caught.value.message
    assert "saslStart" in node.names()


def test_unknown_reference_in_params_fails_before_connecting():
    with pytest.raises(ConfigError) as caught:
        drive(run_replica_set_step(None, replica_set_step("mongodb://127.0.0.1:${MONGO_PROT}/"), {"MONGO_PORT": "1"}))
    assert "MONGO_PROT" in caught.value.message
    assert "MONGO_PORT" in caught.value.hint


def test_timeout_must_be_a_positive_number():
    with pytest.raises(ConfigError, match="timeout must be a positive number"):
        drive(run_replica_set_step(None, replica_set_step("mongodb://127.0.0.1:1/", timeout="60"), {}))


@pytest.mark.parametrize("uri, masked", [
    ("mongodb://root:p%40ss@127.0.0.1:27017/?authSource=admin", "mongodb://root:********@127.0.0.1:27017/?authSource=admin"),
    ("mongodb+srv://u:pw@cluster0.example.net/db", "mongodb+srv://u:********@cluster0.example.net/db"),
    ("mongodb://a:b@h1:1,h2:2", "mongodb://a:********@h1:1,h2:2"),
    ("mongodb://127.0.0.1:27017/", "mongodb://127.0.0.1:27017/"),
    ("mongodb://user@host/", "mongodb://user@host/"),
])
def test_mask_uri_hides_only_the_password(uri, masked):
    assert mask_uri(uri) == masked


def test_scrub_removes_raw_and_decoded_password():
    uri = "mongodb://root:p%40ss@127.0.0.1/"
    assert scrub("bad p@ss and p%40ss", uri) == "bad ******** and ********"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
