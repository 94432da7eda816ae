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

