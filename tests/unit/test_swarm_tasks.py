"""The manager's task listing read as container states, nodes and pins (no engine needed).

The listings are shaped as Docker's API returns them (`GET /services`, `/tasks`, `/nodes`),
trimmed to the fields the launcher reads.
"""

from __future__ import annotations

from wizard.core.targets.placement import labels_to_add, pins_of
from wizard.core.targets.swarmtasks import parse_nodes, task_view
from wizard.frontends.status import render_node
from wizard.core.targets.swarmtasks import NodeReport

LABEL = "launcher.swarm.service"


def node(node_id: str, hostname: str, state: str = "ready", *, manager: bool = False, labels=None) -> dict:
    return {"ID": node_id, "Description": {"Hostname": hostname},
            "Status": {"State": state, "Addr": "10.231.0.2" if not manager else "10.231.0.1"},
            "Spec": {"Role": "manager" if manager else "worker", "Labels": labels or {}}}


def service(service_id: str, name: str, *, replicas: int = 1, healthcheck: bool = True) -> dict:
    spec = {"Labels": {LABEL: name}}
    if healthcheck:
        spec["Healthcheck"] = {"Test": ["CMD", "true"]}
    return {"ID": service_id, "Spec": {"Name": f"p-g_{name}", "Mode": {"Replicated": {"Replicas": replicas}},
                                       "TaskTemplate": {"ContainerSpec": spec}}}


def task(task_id: str, service_id: str, state: str, *, slot: int = 1, node_id: str = "m", created: str = "1",
         exit_code: int | None = None, err: str = "", ports=()) -> dict:
    status = {"State": state, "Timestamp": "2026-12-07T22:00:00.123456789Z", "Err": err,
              "ContainerStatus": {"ContainerID": f"c-{task_id}", "ExitCode": exit_code},
              "PortStatus": {"Ports": list(ports)}}
    return {"ID": task_id, "ServiceID": service_id, "Slot": slot, "NodeID": node_id,
            "CreatedAt": f"2026-12-07T22:00:0{created}Z", "DesiredState": "running", "Status": status}


NODES = parse_nodes([node("m", "vm", manager=True), node("w", "launcher-node2")])


def view(services, tasks, nodes=NODES, pins=None):
    return task_view("p", services, tasks, nodes, service_label=LABEL, own_node="m", pins=pins or {})


def test_a_task_on_the_worker_counts_and_its_port_is_not_on_127_0_0_1():
    port = {"Protocol": "tcp", "TargetPort": 8080, "PublishedPort": 18080, "PublishMode": "host"}
    states = view([service("s1", "web", replicas=2)],
                  [task("a", "s1", "running", slot=1, node_id="m", ports=[port]),
                   task("b", "s1", "running", slot=2, node_id="w", ports=[port, port])]).states
    by_node = {state.node_id: state for state in states}
    assert set(by_node) == {"m", "w"} and by_node["w"].node == "launcher-node2"
    assert all((state.service, state.state, state.health) == ("web", "running", "healthy") for state in states)
    assert [port.local for port in by_node["m"].ports] == [True]
    assert [port.local for port in by_node["w"].ports] == [False]


def test_swarm_s_starting_is_a_healthcheck_not_passed_yet():
    states = view([service("s1", "db")], [task("a", "s1", "starting")]).states
    assert (states[0].state, states[0].health) == ("running", "starting")
    no_check = view([service("s1", "web", healthcheck=False)], [task("a", "s1", "starting")]).states
    assert (no_check[0].state, no_check[0].health) == ("created", "")


def test_a_failed_task_is_not_hidden_by_its_replacement_about_to_start():
    states = view([service("s1", "redis")],
                  [task("a", "s1", "failed", created="1", exit_code=3, err="task: non-zero exit (3)"),
                   task("b", "s1", "pending", created="2")]).states
    assert [(s.state, s.exit_code, s.status) for s in states] == [("exited", 3, "task: non-zero exit (3)")]
    newer = view([service("s1", "redis")], [task("a", "s1", "failed", created="1", exit_code=3),
                                             task("b", "s1", "running", created="2")]).states
    assert [s.state for s in newer] == ["running"]


def test_a_completed_job_exited_0_and_a_slot_beyond_the_replicas_is_gone():
    states = view([service("s1", "migrate", healthcheck=False), service("s2", "web", replicas=1)],
                  [task("a", "s1", "complete"), task("b", "s2", "running", slot=1),
                   task("c", "s2", "shutdown", slot=2, created="2")]).states
    assert sorted((s.service, s.state, s.exit_code) for s in states) == [("migrate", "exited", 0),
                                                                         ("web", "running", None)]


def test_a_pinned_service_whose_node_is_down_waits_for_it_and_the_node_names_what_it_held():
    nodes = parse_nodes([node("m", "vm", manager=True), node("w", "launcher-node2", "down")])
    result = view([service("s1", "postgres"), service("s2", "web")],
                  [task("a", "s1", "running", node_id="w", created="1"), task("b", "s1", "pending", node_id="",
                                                                             created="2"),
                   task("c", "s2", "running", node_id="w")], nodes=nodes, pins={"postgres": "w"})
    states = {s.service: s for s in result.states}
    assert states["postgres"].state == "waiting for node launcher-node2 (w)"
    assert sorted(result.held["w"]) == ["postgres", "web"]
    # Pending while its node is up is only "created": Swarm is still placing it.
    up = view([service("s1", "postgres")], [task("b", "s1", "pending", node_id="")], pins={"postgres": "w"})
    assert up.states[0].state == "created"


def test_pins_are_read_per_project_and_set_once_on_the_launcher_s_own_node():
    nodes = parse_nodes([node("m", "vm", manager=True, labels={"launcher.data.p.postgres": "true",
                                                                 "launcher.data.p-2.redis": "true"}),
                         node("w", "launcher-node2", labels={"launcher.data.p.redis": "true"})])
    assert pins_of("p", nodes.values()) == {"postgres": "m", "redis": "w"}
    assert pins_of("p-2", nodes.values()) == {"redis": "m"}
    assert labels_to_add("p", ["postgres", "redis", "minio"], nodes.values(), "m") == {"launcher.data.p.minio": "m"}


def test_a_node_that_is_down_says_what_it_held_and_what_to_do():
    line = render_node(NodeReport(id="w" * 25, hostname="launcher-node2", state="down", manager=False,
                                  pinned=["postgres"], held=["postgres", "web"]))
    assert line.startswith(f"node launcher-node2 ({'w' * 12}) down: keeps the data of postgres; held postgres, web — ")
    assert "start its Docker engine again" in line
    ready = render_node(NodeReport(id="m" * 25, hostname="vm", state="ready", manager=True, pinned=[], held=["web"]))
    assert ready == f"node vm ({'m' * 12}, manager) ready: runs web"


def test_a_task_of_an_older_spec_is_updating_and_says_what_config_and_image_it_was_made_from():
    svc = service("s1", "web")
    made = {"launcher.swarm.config-hash": "h1", "launcher.swarm.image": "sha256:i1"}
    svc["Spec"]["TaskTemplate"]["ContainerSpec"]["Labels"].update(made)
    current = {"ContainerSpec": dict(svc["Spec"]["TaskTemplate"]["ContainerSpec"])}
    old = {"ContainerSpec": {**current["ContainerSpec"], "Labels": {LABEL: "web", "launcher.swarm.config-hash": "h0"}}}
    fresh = view([svc], [{**task("a", "s1", "running"), "Spec": current}]).states[0]
    assert (fresh.state, fresh.config_hash, fresh.image_label) == ("running", "h1", "sha256:i1")
    stale = view([svc], [{**task("a", "s1", "running"), "Spec": old}]).states[0]
    assert (stale.state, stale.health, stale.config_hash) == ("updating", "", "h0")
    # A forced update (a `restart: true` dependant) makes every task of the service outdated too.
    forced = {**svc, "Spec": {**svc["Spec"], "TaskTemplate": {**svc["Spec"]["TaskTemplate"], "ForceUpdate": 1}}}
    assert view([forced], [{**task("a", "s1", "running"), "Spec": current}]).states[0].state == "updating"


def test_a_job_run_again_waits_for_its_new_run_and_forgets_the_earlier_one():
    job = service("s1", "migrate", healthcheck=False)
    job["JobStatus"] = {"JobIteration": {"Index": 12}}
    before = {**task("a", "s1", "complete", exit_code=0), "JobIteration": {"Index": 11}}
    assert [s.state for s in view([job], [before]).states] == ["updating"]
    again = {**task("b", "s1", "complete", node_id="w", created="2", exit_code=0), "JobIteration": {"Index": 12}}
    assert [(s.state, s.node_id) for s in view([job], [before, again]).states] == [("exited", "w")]


def test_an_update_swarm_rolled_back_is_named_with_its_words():
    svc = {**service("s1", "web"), "UpdateStatus": {"State": "rollback_completed", "StartedAt":
                                                       "2026-12-07T22:00:00Z", "Message": "rollback completed"}}
    done = {**service("s2", "db"), "UpdateStatus": {"State": "completed"}}
    gave_up = view([svc, done], [task("a", "s1", "running"), task("b", "s2", "running")]).gave_up
    assert list(gave_up) == ["web"] and gave_up["web"][:2] == ("rollback_completed", "rollback completed")


def test_a_task_this_run_s_deploy_or_forced_update_replaces_is_updating_before_swarm_has_the_new_spec():
    svc = service("s1", "web")
    svc["Spec"]["TaskTemplate"]["ContainerSpec"]["Labels"]["launcher.swarm.config-hash"] = "h0"
    running = task("a", "s1", "running", created="1")  # made at 22:00:01 from h0, the spec Swarm still has
    stamped = task_view("p", [svc], [running], NODES, service_label=LABEL, own_node="m", pins={},
                        deployed={"web": {"launcher.swarm.config-hash": "h1"}}).states[0]
    assert (stamped.state, stamped.health) == ("updating", "")
    same = task_view("p", [svc], [running], NODES, service_label=LABEL, own_node="m", pins={},
                     deployed={"web": {"launcher.swarm.config-hash": "h0"}}).states[0]
    assert same.state == "running"
    forced_at = stamped.created + 5
    forced = task_view("p", [svc], [running], NODES, service_label=LABEL, own_node="m", pins={},
                       forced={"web": forced_at}).states[0]
    assert forced.state == "updating"
    ended = task_view("p", [svc], [task("a", "s1", "complete", created="1")], NODES, service_label=LABEL,
                      own_node="m", pins={}, deployed={"web": {"launcher.swarm.config-hash": "h1"}}).states[0]
    assert ended.state == "exited"
