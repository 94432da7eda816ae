"""MongoDB replica-set initiation from the host, with pymongo.

The official image's healthcheck trick (``rs.initiate()`` inside the container)
breaks once authentication is on, so the launcher does it from the host as the
root user, over a direct connection to the one node: wait until the server
answers, ask ``replSetGetStatus``, initiate when the node says it is not yet
initiated, then wait, bounded, until the node is a writable primary.

Also home of what every Mongo step shares: reading step parameters, connecting
with bounded timeouts, and masking passwords in connection strings.
"""

from __future__ import annotations

import itertools
import time
from typing import Any, Generator, Mapping

from wizard.core.support.errors import ConfigError, SeedFailed
from wizard.core.support.events import StepProgress
from wizard.core.seeds.steps import step_seconds, step_text
from wizard.core.support.redact import mask_url, scrub

# Server error codes, as listed in mongo's src/mongo/base/error_codes.yml.
UNAUTHORIZED = 13
AUTHENTICATION_FAILED = 18
ALREADY_INITIALIZED = 23
NODE_NOT_FOUND = 74
NO_REPLICATION_ENABLED = 76
INVALID_REPLICA_SET_CONFIG = 93
NOT_YET_INITIALIZED = 94

DEFAULT_TIMEOUT = 60.0  # seconds for the whole step: server up, initiate, election
DEFAULT_POLL_INTERVAL = 0.5  # seconds between hello polls while an election runs
DEFAULT_REPLICA_SET = "rs0"

Progress = Generator[StepProgress, None, str]


def run_replica_set_step(stack, step, values: Mapping[str, str]) -> Progress:
    """The ``mongo-replica-set`` init step: yields StepProgress, returns a summary.

    Params (``${NAME}`` resolved from values): ``uri``, ``member_host``,
    ``replica_set`` (default rs0), ``timeout`` and ``poll_interval`` in seconds.
    Raises SeedFailed with one line saying what to fix.
    """
    uri = step_text(step, values, "uri")
    member_host = step_text(step, values, "member_host")
    replica_set = step_text(step, values, "replica_set", DEFAULT_REPLICA_SET)
    return (yield from initiate_replica_set(
        uri, member_host, replica_set,
        timeout=step_seconds(step, "timeout", DEFAULT_TIMEOUT),
        poll_interval=step_seconds(step, "poll_interval", DEFAULT_POLL_INTERVAL),
        step=step.name,
    ))


def initiate_replica_set(uri: str, member_host: str, replica_set: str, *, timeout: float = DEFAULT_TIMEOUT,
                         poll_interval: float = DEFAULT_POLL_INTERVAL, step: str = "mongo-replica-set") -> Progress:
    """Initiate a one-member replica set on the node at uri (idempotent); wait for a writable primary."""
    deadline = time.monotonic() + timeout
    client = connect(uri, timeout=timeout, direct=True)
    try:
        yield from wait_until_answering(client, uri, deadline, poll_interval, step)
        status = _replica_set_status(client, uri, replica_set, step)
        if status is None:
            yield StepProgress(step, f"initiating replica set {replica_set} with member {member_host}")
            already = _initiate(client, uri, replica_set, member_host, step)
        else:
            already = True
            yield StepProgress(step, f"replica set {replica_set} is already initiated")
        yield from wait_for_writable_primary(client, uri, deadline, poll_interval, step)
    finally:
        client.close()
    if already:
        from wizard.core.seeds.steps import NothingToDo

        return NothingToDo(f"replica set {replica_set} already initiated; primary is writable")
    return f"replica set {replica_set} initiated with {member_host}; primary is writable"


def wait_until_answering(client, uri: str, deadline: float, poll_interval: float, step: str
                         ) -> Generator[StepProgress, None, None]:
    """Ping until the server answers or the deadline passes (then SeedFailed)."""
    from pymongo.errors import ConnectionFailure, OperationFailure

    started = time.monotonic()
    for attempt in itertools.count():
        try:
            client.admin.command("ping")
            return
        except OperationFailure as exc:
            raise _command_failed(exc, uri, step, "ping") from None
        except ConnectionFailure:
            if time.monotonic() + poll_interval >= deadline:
                raise SeedFailed(
                    f"MongoDB at {mask_url(uri)} did not answer within {_seconds(deadline - started)}",
                    "check that the mongodb group is running (`launcher status`) and the port in the URI is "
                    f"published; raise `timeout` in [steps.{step}] if it is just slow",
                ) from None
            if attempt == 0:
                yield StepProgress(step, f"waiting for MongoDB at {mask_url(uri)} to answer")
            time.sleep(poll_interval)


def wait_for_writable_primary(client, uri: str, deadline: float, poll_interval: float, step: str
                              ) -> Generator[StepProgress, None, None]:
    """Poll ``hello`` until ``isWritablePrimary``; SeedFailed when the deadline passes first."""
    from pymongo.errors import ConnectionFailure, OperationFailure

    started = time.monotonic()
    last_state = ""
    while True:
        try:
            hello = client.admin.command("hello")
            if hello.get("isWritablePrimary"):
                return
            state = _member_state(hello)
        except OperationFailure as exc:
            raise _command_failed(exc, uri, step, "hello") from None
        except ConnectionFailure:
            state = "not answering"  # a node may drop connections while it changes state
        if state != last_state:
            yield StepProgress(step, f"waiting for a writable primary (node is {state})")
            last_state = state
        if time.monotonic() + poll_interval >= deadline:
            raise SeedFailed(
                f"MongoDB at {mask_url(uri)} is not a writable primary after {_seconds(deadline - started)} "
                f"(node is {state})",
                "see the mongodb service logs (`docker compose logs`); the member host must resolve to the "
                f"node from inside its container; raise `timeout` in [steps.{step}] if the election is just slow",
            )
        time.sleep(poll_interval)


def _replica_set_status(client, uri: str, replica_set: str, step: str) -> dict[str, Any] | None:
    """The node's replSetGetStatus, or None when it is not initiated yet."""
    from pymongo.errors import OperationFailure

    try:
        status = client.admin.command("replSetGetStatus")
    except OperationFailure as exc:
        if exc.code == NOT_YET_INITIALIZED:
            return None
        raise _command_failed(exc, uri, step, "replSetGetStatus") from None
    if status.get("set") and status["set"] != replica_set:
        raise SeedFailed(
            f"MongoDB at {mask_url(uri)} is already in replica set {status['set']!r}, not {replica_set!r}",
            f"set replica_set = \"{status['set']}\" in [steps.{step}] (or match the mongod --replSet option)",
        )
    return status


def _initiate(client, uri: str, replica_set: str, member_host: str, step: str) -> bool:
    """Run replSetInitiate; True when another client initiated it first (AlreadyInitialized)."""
    from pymongo.errors import OperationFailure

    config = {"_id": replica_set, "members": [{"_id": 0, "host": member_host}]}
    try:
        client.admin.command("replSetInitiate", config)
    except OperationFailure as exc:
        if exc.code == ALREADY_INITIALIZED:
            return True
        if exc.code in (INVALID_REPLICA_SET_CONFIG, NODE_NOT_FOUND):
            raise SeedFailed(
                f"MongoDB refused replica set {replica_set} with member {member_host}: {server_message(exc)}",
                f"set member_host in [steps.{step}] to a host:port the mongod container resolves to itself "
                "(the compose service name and its port), and replica_set to its --replSet name",
            ) from None
        raise _command_failed(exc, uri, step, "replSetInitiate") from None
    return False


def _command_failed(exc, uri: str, step: str, command: str) -> SeedFailed:
    """A one-line SeedFailed for a server error, with the fix for the codes we know."""
    where = f" at {mask_url(uri)}" if uri else ""
    if exc.code == NO_REPLICATION_ENABLED:
        return SeedFailed(f"MongoDB{where} runs without --replSet",
                          "start mongod with `--replSet rs0` (the command of the mongodb service in its "
                          "compose file) and restart the group")
    if exc.code == AUTHENTICATION_FAILED:
        return SeedFailed(f"MongoDB{where} refused the user and password",
                          "the root password in the env file must match the one the data volume was created "
                          "with; check MONGO_ROOT_USERNAME / MONGO_ROOT_PASSWORD")
    if exc.code == UNAUTHORIZED:
        return SeedFailed(f"MongoDB{where} does not allow {command} for this user",
                          "connect as the root user (the uri in [steps." + step + "] in stack.toml)")
    return SeedFailed(f"MongoDB{where} failed {command}: {server_message(exc)} (code {exc.code})",
                      "see the mongodb service logs (`docker compose logs`)")


def _member_state(hello: Mapping[str, Any]) -> str:
    if hello.get("secondary"):
        return "secondary"
    if hello.get("arbiterOnly"):
        return "arbiter"
    if hello.get("isreplicaset"):
        return "not initiated"
    return "electing" if hello.get("setName") else "not a primary"


def server_message(exc) -> str:
    """The server's errmsg of an OperationFailure, on one line."""
    details = exc.details or {}
    return " ".join(str(details.get("errmsg") or exc).split())


def _seconds(value: float) -> str:
    return f"{max(value, 0):.0f}s" if value >= 1 else f"{max(value, 0):.1f}s"


# -- shared by the Mongo steps ---------------------------------------------------------------


def connect(uri: str, *, timeout: float, direct: bool):
    """A MongoClient whose every wait is bounded by timeout (seconds).

    direct=True talks to the one node in the URI (``directConnection``), which is
    what a not yet initiated replica-set member needs. Raises ConfigError, with the
    password masked, when the URI itself is wrong.
    """
    from pymongo import MongoClient
    from pymongo.errors import ConfigurationError

    milliseconds = max(int(timeout * 1000), 1)
    options: dict[str, Any] = {
        "appname": "stack-launcher",
        # One attempt at finding the server is short; callers loop until their deadline.
        "serverSelectionTimeoutMS": min(milliseconds, 1000),
        "connectTimeoutMS": min(milliseconds, 5000),
        "socketTimeoutMS": milliseconds,
    }
    if direct:
        options["directConnection"] = True
    try:
        return MongoClient(uri, **options)
    except ConfigurationError as exc:
        raise ConfigError(f"invalid MongoDB URI {mask_url(uri)}: {scrub(str(exc), uri)}",
                          "write it as mongodb://USER:PASSWORD@HOST:PORT/?options") from None
