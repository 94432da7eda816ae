"""Fixtures for the cluster targets: a single-node Swarm on the test bed's engine.

The engine is turned into a one-node swarm only when it is not one already, and
left again afterwards only when this fixture did it: other helpers' compose tests
share the engine, and must find it as it was.
"""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import missing_part
from tests.integration.engine_stack import engine_stack  # noqa: F401 - a fixture

DOCKER_CLI = "/usr/local/bin/docker"


@pytest.fixture(scope="session")
def swarm(docker_client):
    """The engine as a Swarm manager for the session; yields the Docker CLI that deploys stacks."""
    import docker.errors

    cli = DOCKER_CLI if shutil.which(DOCKER_CLI) else shutil.which("docker")
    if not cli:
        missing_part("no Docker CLI for `docker stack deploy`")
    state = (docker_client.info().get("Swarm") or {}).get("LocalNodeState")
    started = False
    if state != "active":
        try:
            docker_client.swarm.init(advertise_addr="127.0.0.1")
        except docker.errors.APIError as error:
            missing_part(f"cannot turn the engine into a single-node swarm ({error.explanation})")
        started = True
    yield cli
    if started:
        docker_client.swarm.leave(force=True)
