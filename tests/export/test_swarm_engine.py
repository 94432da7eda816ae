"""SwarmEngine's own checks that need no swarm: refusing an engine that is not a manager."""

from __future__ import annotations

from pathlib import Path

import pytest

from wizard.core.support.errors import PreflightFailed
from wizard.core.targets.swarm import SwarmEngine
from wizard.core.manifest.stack import load_stack

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "engine_stack" / "stack.toml"


class Client:
    def __init__(self, swarm: dict) -> None:
        self.swarm = swarm

    def ping(self) -> bool:
        return True

    def info(self) -> dict:
        return {"Swarm": self.swarm}


@pytest.mark.parametrize("swarm", [{"LocalNodeState": "inactive"},
                                   {"LocalNodeState": "active", "ControlAvailable": False}])
def test_an_engine_that_is_not_a_swarm_manager_is_a_preflight_failure(swarm):
    engine = SwarmEngine(load_stack(FIXTURE), client=Client(swarm))
    with pytest.raises(PreflightFailed) as caught:
        engine.ping()
    assert caught.value.one_line() == ("this Docker engine is not a Swarm manager — run `docker swarm init` "
                                       "(or use a manager's DOCKER_HOST), then again")


def test_a_manager_passes():
    SwarmEngine(load_stack(FIXTURE), client=Client({"LocalNodeState": "active", "ControlAvailable": True})).ping()



def engine_with(states, nodes):
    from wizard.core.targets.swarmtasks import TaskView

    engine = SwarmEngine(load_stack(FIXTURE), client=Client({}))
    engine.tasks = lambda: TaskView(states=states, nodes=nodes, held={})
    engine.own_node = lambda: "manager-node-id"
    return engine


def test_a_shell_goes_to_the_task_on_this_engine_first_else_through_the_node_s_context():
    from wizard.core.docker.containers import ContainerState
    from wizard.core.support.errors import UsageError
    from wizard.core.targets.swarmtasks import Node

    def task(cid, node_id):
        return ContainerState(id=cid, name=cid, service="web", state="running", health="", exit_code=None,
                              created=0, uptime=1, status="", node_id=node_id)

    worker = Node(id="worker-node-id-0123456789", hostname="node2", state="ready", address="10.0.0.2",
                  manager=False)
    here = engine_with([task("c-worker", worker.id), task("c-here", "manager-node-id")], {worker.id: worker})
    assert here.exec_context("web") == ([], "c-here")
    with pytest.raises(UsageError) as caught:
        engine_with([task("c-worker", worker.id)], {worker.id: worker}).exec_context("web")
    assert caught.value.one_line() == (
        "web runs on node node2 (worker-node-), not on this engine — name a Docker context that reaches it: "
        "docker node update --label-add launcher.context=CONTEXT worker-node-")
    labelled = Node(id=worker.id, hostname="node2", state="ready", address="", manager=False,
                    labels={"launcher.context": "node2-ctx"})
    assert engine_with([task("c-worker", worker.id)], {worker.id: labelled}).exec_context("web") == \
        (["--context", "node2-ctx"], "c-worker")
