"""Raising a MongoDB server's feature-compatibility version to its binary's, after a major move.

A new major (8.0) starts on the previous one's data at the old feature-compatibility version
(7.0) and keeps running at it: features and on-disk formats of the new major stay off, and the
binary can still be moved back. Raising it is one admin command, which since 7.0 must carry
``confirm: true`` (the server refuses it otherwise: there is no way back without support).
The versions come from the server itself (``buildInfo``, ``getParameter``), not from image tags.
"""

from __future__ import annotations

import time
from typing import Generator

from wizard.core.seeds.mongo.replicaset import DEFAULT_POLL_INTERVAL, connect, wait_until_answering
from wizard.core.support.errors import SeedFailed
from wizard.core.support.events import StepProgress
from wizard.core.support.redact import mask_url, scrub

DEFAULT_TIMEOUT = 60.0


def major_minor(version: str) -> tuple[int, int]:
    """"8.0.29" -> (8, 0); a suffix such as "-rc1" is ignored."""
    parts = version.split("-")[0].split(".")
    return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0


def raise_feature_compatibility(uri: str, *, timeout: float = DEFAULT_TIMEOUT, step: str = "mongo-replica-set"
                                ) -> Generator[StepProgress, None, str]:
    """Set the node's feature-compatibility version to its binary's major.minor when lower; returns a summary."""
    from pymongo.errors import PyMongoError

    from wizard.core.seeds.steps import NothingToDo

    deadline = time.monotonic() + timeout
    client = connect(uri, timeout=timeout, direct=True)
    target = "the server's major.minor"
    try:
        yield from wait_until_answering(client, uri, deadline, DEFAULT_POLL_INTERVAL, step)
        try:
            binary = major_minor(client.admin.command("buildInfo")["version"])
            target = f"{binary[0]}.{binary[1]}"
            current = client.admin.command("getParameter", 1, featureCompatibilityVersion=1)[
                "featureCompatibilityVersion"]
            # Mid-transition (an earlier raise interrupted) the server reports a targetVersion too.
            if major_minor(current["version"]) >= binary and "targetVersion" not in current:
                return NothingToDo(f"feature compatibility is {current['version']}, as the server's {target}")
            yield StepProgress(step, f"feature compatibility {current['version']} -> {target}")
            client.admin.command("setFeatureCompatibilityVersion", target, confirm=True)
        except PyMongoError as exc:
            raise SeedFailed(f"MongoDB at {mask_url(uri)}: raising the feature compatibility to {target} failed: "
                             f"{scrub(str(exc), uri)}",
                             f'run db.adminCommand({{setFeatureCompatibilityVersion: "{target}", confirm: true}}) '
                             "in mongosh as the root user") from None
    finally:
        client.close()
    return f"feature compatibility {current['version']} -> {target}"
