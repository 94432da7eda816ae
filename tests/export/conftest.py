"""Fixtures for the cluster targets: a single-node Swarm on the test bed's engine.

The engine is turned into a one-node swarm only when it is not one already, and
left again afterwards only when this fixture did it: other helpers' compose tests
share the engine, and must find it as it was.

Every test of the Swarm target runs twice: once in the checkout that owns the stack's
name, and once in a second checkout of the same stack, whose instance name is not the
stack's (another folder registered the plain name first, as a second clone does).
"""

from __future__ import annotations

import dataclasses
import shutil

import pytest

from tests.conftest import missing_part
from tests.integration.engine_stack import EngineStack, initialised_checkout
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
