"""A wave's stack deploys on Swarm (SwarmRun): forced updates after the deploys, an update Swarm rolled back fails."""

from __future__ import annotations

import time
from types import SimpleNamespace

from wizard.core.targets.swarm import SwarmRun


class Engine(SimpleNamespace):
    def tasks_settled(self, services, since):
        self.asked.append((list(services), since))
        return self.answer


def finished(run: SwarmRun) -> None:
    deadline = time.monotonic() + 10
    while not run.done():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_an_update_swarm_rolled_back_is_a_failed_start_with_swarm_s_words(tmp_path):
    words = "p-app_web: Swarm's update ended rollback_completed: rollback completed"
    engine = Engine(docker_cli="true", asked=[], answer=(True, [words], True))
    began = time.time()
    run = SwarmRun([["true"]], tmp_path, engine, ["web"])
    finished(run)
    assert run.returncode == 1 and f"error: {words}" in run.output()
    assert engine.asked[0][0] == ["web"] and engine.asked[0][1] >= began - 1


def test_a_forced_update_runs_after_the_deploys_and_is_waited_for(tmp_path):
    marker = tmp_path / "forced"
    engine = Engine(docker_cli=str(tmp_path / "docker"), asked=[], answer=(True, [], False))
    (tmp_path / "docker").write_text(f"#!/bin/sh\necho \"$@\" > {marker}\n")
    (tmp_path / "docker").chmod(0o755)
    run = SwarmRun([["sleep", "0.2"]], tmp_path, engine, ["web", "worker"], forced=["p-app_worker"])
    assert not marker.exists()
    finished(run)
    assert marker.read_text().split() == ["service", "update", "--force", "--detach", "p-app_worker"]
    assert run.returncode == 0 and len(engine.asked) == 1


def test_only_an_update_given_up_since_the_run_began_fails_it_and_an_updating_task_is_not_settled(tmp_path):
    from wizard.core.docker.containers import ContainerState
    from wizard.core.targets.swarm import SwarmEngine
    from wizard.core.targets.swarmtasks import TaskView

    def state(service: str, word: str) -> ContainerState:
        return ContainerState(id="", name=service, service=service, state=word, health="", exit_code=None,
                              created=0.0, uptime=None, status="")

    engine = object.__new__(SwarmEngine)
    engine.service_name = lambda name: f"p-app_{name}"
    view = TaskView(states=[state("web", "running"), state("db", "running")], nodes={}, held={},
                    gave_up={"web": ("rollback_completed", "rollback completed", 1000.0)})
    engine.tasks = lambda: view
    settled, errors, gave_up = engine.tasks_settled(["web"], since=1001.0)
    assert (settled, gave_up) == (True, True)
    assert errors == ["p-app_web: Swarm's update ended rollback_completed: rollback completed"]
    # A rollback of an earlier up is history; another service's is not this run's.
    assert engine.tasks_settled(["web"], since=2000.0) == (True, [], False)
    assert engine.tasks_settled(["db"], since=1001.0) == (True, [], False)
    view.states[0] = state("web", "updating")
    view.gave_up.clear()
    assert engine.tasks_settled(["web"], since=0.0) == (False, [], False)


def test_a_pinned_task_left_unplaced_while_its_node_was_down_is_stranded_once_the_node_is_back():
    from wizard.core.docker.containers import ContainerState
    from wizard.core.targets.swarm import SwarmEngine
    from wizard.core.targets.swarmtasks import TaskView, parse_nodes

    def state(service: str, word: str, node_id: str = "") -> ContainerState:
        return ContainerState(id="", name=service, service=service, state=word, health="", exit_code=None,
                              created=0.0, uptime=None, status="no suitable node", node_id=node_id)

    def nodes(worker_state: str):
        return parse_nodes([{"ID": "m", "Status": {"State": "ready"}, "Spec": {"Role": "manager"}},
                            {"ID": "w", "Status": {"State": worker_state},
                             "Spec": {"Role": "worker", "Labels": {"launcher.data.p.redis": "true"}}}])

    engine = object.__new__(SwarmEngine)
    engine.project = "p"
    # web is stateless (Swarm places it when it can); redis is pinned to w.
    states = [state("redis", "created"), state("web", "created"), state("postgres", "running", "m")]
    engine.tasks = lambda: TaskView(states=states, nodes=nodes("ready"), held={})
    assert engine.stranded() == {"redis"}
    engine.tasks = lambda: TaskView(states=states, nodes=nodes("down"), held={})
    assert engine.stranded() == set()  # still down: it waits for its node
    placed = [state("redis", "created", "w")]  # placed, its container on its way
    engine.tasks = lambda: TaskView(states=placed, nodes=nodes("ready"), held={})
    assert engine.stranded() == set()
