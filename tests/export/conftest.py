"""Fixtures for the cluster targets: the test bed's engine as a Swarm of one node, or of two.

The engine is turned into a swarm only when it is not one already, and left again
afterwards only when this run did it: other helpers' compose tests share the engine,
and must find it as it was. The second node (tests/testbed/node2) joins only for the
module that asks for ``two_node_swarm``, and is gone after it (tests/export/swarmbed.py).

Every test of the Swarm target runs twice: once in the checkout that owns the stack's
name, and once in a second checkout of the same stack, whose instance name is not the
stack's (another folder registered the plain name first, as a second clone does).
"""

from __future__ import annotations

import dataclasses
import shutil

import pytest

from tests.conftest import missing_part
from tests.export.swarmbed import NotAvailable, SwarmBed
from tests.integration.engine_stack import EngineStack, initialised_checkout
from tests.integration.engine_stack import engine_stack  # noqa: F401 - a fixture

DOCKER_CLI = "/usr/local/bin/docker"


@pytest.fixture(scope="session")
def swarm_bed(docker_client):
    """The one swarm of the session (tests/export/swarmbed.py): knows whether it has two nodes and
    whether this run started it; left at the end only when it did."""
    cli = DOCKER_CLI if shutil.which(DOCKER_CLI) else shutil.which("docker")
    if not cli:
        missing_part("no Docker CLI for `docker stack deploy`")
    bed = SwarmBed(client=docker_client, cli=cli)
    yield bed
    bed.close()


@pytest.fixture
def swarm(swarm_bed):
    """The engine as a Swarm manager; yields the Docker CLI that deploys stacks."""
    import docker.errors

    if swarm_bed.worker:
        missing_part("a two-node swarm is up in this session: one-node tests would get tasks on the worker")
    try:
        swarm_bed.one_node()
    except docker.errors.APIError as error:
        missing_part(f"cannot turn the engine into a single-node swarm ({error.explanation})")
    return swarm_bed.cli


@pytest.fixture(scope="module")
def two_node_swarm(swarm_bed, images):
    """The test bed's second node joined as a worker for one module, with the images its tests name
    (busybox, and redis: a test pins redis's data to the worker), then dropped."""
    try:
        swarm_bed.two_nodes([images["busybox"], images["redis"]])
    except NotAvailable as error:
        swarm_bed.drop_node()
        missing_part(str(error))
    yield swarm_bed
    swarm_bed.drop_node()


def instance_of(stack: EngineStack) -> str:
    """The instance name `launcher init` recorded for the checkout (its compose project)."""
    return (stack.root / ".launcher" / "instance").read_text().strip()


@pytest.fixture
def first_checkout(tmp_path, compose_project, images, run_launcher) -> EngineStack:
    """A checkout of the engine test stack, initialised before the test's own: it owns the stack's name."""
    stack = initialised_checkout(tmp_path, "first", compose_project, run_launcher)
    assert instance_of(stack) == compose_project
    return stack


@pytest.fixture
def second_checkout(first_checkout, request) -> EngineStack:
    """The test's own checkout of the same stack, after ``first_checkout``: another instance name."""
    stack = request.getfixturevalue("engine_stack")
    instance = instance_of(stack)
    assert instance != first_checkout.project and instance.startswith(f"{first_checkout.project}-")
    return dataclasses.replace(stack, project=instance)


@pytest.fixture(params=["stack-name", "other-instance"])
def swarm_stack(request) -> EngineStack:
    """The engine test stack, its ``project`` the instance name: the stack's own, or a second checkout's."""
    if request.param == "stack-name":
        stack = request.getfixturevalue("engine_stack")
        assert instance_of(stack) == stack.project
        return stack
    return request.getfixturevalue("second_checkout")
