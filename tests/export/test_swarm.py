"""`launcher up/status/down --target swarm` on the real engine, as a single-node Docker Swarm.

The engine test stack (postgres with a named volume, then redis, then a one-shot job
and a web probe) plus two files the web service reads: a template (a Swarm config)
and the rendered env file (a Swarm secret). Docker's own records are the witness:
container creation times, the services' specs, what is left after `down`. Each test runs
under the stack's own name and as a second checkout's instance (tests/export/conftest.py).
"""

from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest

from tests.integration.engine_stack import json_lines

pytestmark = pytest.mark.integration

LABEL = "launcher.swarm.project"
NAMESPACE = "com.docker.stack.namespace"
# Two files the web service reads: on Swarm a template becomes a config and an env file a secret.
FILES = """
      - ../envtemplates/stack.env:/etc/launcher/template.env:ro
      - ../.env:/run/launcher/stack.env:ro
"""


def created(container) -> datetime:
    """When Docker created the container (UTC, to the microsecond)."""
    return datetime.fromisoformat(container.attrs["Created"][:26].rstrip("Z")).replace(tzinfo=timezone.utc)


def leftovers(client, project: str) -> dict[str, list[str]]:
    ours = {"label": f"{LABEL}={project}"}
    stacks = {f"{project}-{group}" for group in ("db", "cache", "app")}
    return {
        "services": [s.name for s in client.services.list() if s.attrs["Spec"].get("Labels", {}).get(NAMESPACE)
                     in stacks],
        "containers": [c.name for c in client.containers.list(all=True, filters=ours)],
        "networks": [n.name for n in client.networks.list(filters=ours)],
        "secrets": [s.name for s in client.secrets.list(filters=ours)],
        "configs": [c.name for c in client.configs.list(filters=ours)],
        "volumes": [v.name for v in client.volumes.list() if (v.attrs.get("Labels") or {}).get(NAMESPACE) in stacks],
    }


def test_up_status_down_on_a_single_node_swarm(swarm, swarm_stack, docker_client):
    import psycopg

    stack, client, project = swarm_stack, docker_client, swarm_stack.project
    stack.edit("compose/app.yml", "    volumes:\n", "    volumes:\n" + FILES.lstrip("\n"))
    try:
        result = stack.launcher("up", "--target", "swarm", "--json", timeout=300)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr
        events = json_lines(result.stdout)
        assert events[-1]["event"] == "finished" and events[-1]["ok"]
        assert [e["groups"] for e in events if e["event"] == "wave-started"] == [["db"], ["cache"], ["app"]]
        order = [(e["event"], e.get("service") or e.get("step") or e.get("group")) for e in events]
        assert order.index(("service-ready", "postgres")) < order.index(("step-started", "schema")) \
            < order.index(("step-finished", "schema")) < order.index(("group-starting", "cache")) \
            < order.index(("service-ready", "redis")) < order.index(("group-starting", "app"))

        # Swarm services, one stack per group, translated for this kernel and for local images.
        services = {s.name: s.attrs["Spec"] for s in client.services.list()
                    if s.attrs["Spec"].get("Labels", {}).get(NAMESPACE, "").startswith(project)}
        assert set(services) == {f"{project}-db_postgres", f"{project}-cache_redis", f"{project}-app_migrate",
                                 f"{project}-app_web"}
        assert "ReplicatedJob" in services[f"{project}-app_migrate"]["Mode"]
        assert all(spec["EndpointSpec"]["Mode"] == "dnsrr" for spec in services.values())
        web_ports = services[f"{project}-app_web"]["EndpointSpec"]["Ports"]
        assert web_ports == [{"Protocol": "tcp", "TargetPort": 8080, "PublishedPort": stack.ports["WEB_PORT"],
                              "PublishMode": "host"}]

        # Plan order, witnessed by Docker: each wave's containers were created after the previous
        # wave was healthy and after the seeds were applied.
        containers = {c.labels["launcher.swarm.service"]: c
                      for c in client.containers.list(all=True, filters={"label": f"{LABEL}={project}"})}
        dsn = f"postgresql://postgres:{stack_value(stack, 'PG_PASSWORD')}@127.0.0.1:{stack.ports['PG_PORT']}/postgres"
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT name FROM items").fetchall() == [("first",)]
            seeded = conn.execute("SELECT applied_at FROM launcher.applied_seeds").fetchone()[0]
        assert created(containers["postgres"]) < seeded < created(containers["redis"])
        assert created(containers["redis"]) < created(containers["migrate"])
        assert created(containers["redis"]) < created(containers["web"])
        assert containers["migrate"].attrs["State"]["ExitCode"] == 0

        # The files web reads: the template as a Swarm config, the env file as a Swarm secret.
        web = containers["web"]
        assert web.exec_run(["cat", "/etc/launcher/template.env"]).output.decode() == \
            (stack.root / "envtemplates/stack.env").read_text()
        assert web.exec_run(["cat", "/run/launcher/stack.env"]).output.decode() == (stack.root / ".env").read_text()
        assert len(client.secrets.list(filters={"label": f"{LABEL}={project}"})) == 1
        assert len(client.configs.list(filters={"label": f"{LABEL}={project}"})) == 1
        with urllib.request.urlopen(f"http://127.0.0.1:{stack.ports['WEB_PORT']}/", timeout=5) as response:
            assert response.read() == b"ok\n"

        status = stack.launcher("status", "--target", "swarm", "--json")
        assert status.returncode == 0, status.stderr
        rows = {row["service"]: row for row in json.loads(status.stdout)["services"]}
        assert {name: (row["group"], row["ready"]) for name, row in rows.items()} == {
            "postgres": ("db", True), "redis": ("cache", True), "migrate": ("app", True), "web": ("app", True)}
        assert rows["migrate"]["oneshot"] and rows["migrate"]["exit_code"] == 0
        assert rows["web"]["urls"] == [f"http://127.0.0.1:{stack.ports['WEB_PORT']}"]
        assert rows["postgres"]["health"] == "healthy"

        versions = {name: s.attrs["Version"]["Index"] for name, s in
                    ((s.name, s) for s in client.services.list()) if name in services}
        again = stack.launcher("up", "--target", "swarm", "--json")
        assert again.returncode == 0, again.stderr
        events = json_lines(again.stdout)
        assert not [e for e in events if e["event"] == "group-starting"]
        assert events[-1]["summary"].startswith("everything was already running")
        assert {s.name: s.attrs["Version"]["Index"] for s in client.services.list() if s.name in services} == versions
        assert len(client.containers.list(all=True, filters={"label": f"{LABEL}={project}"})) == 4
    finally:
        down = stack.launcher("down", "--target", "swarm", "--volumes", "--yes", timeout=180)
    assert down.returncode == 0, down.stderr
    assert leftovers(client, project) == {"services": [], "containers": [], "networks": [], "secrets": [],
                                          "configs": [], "volumes": []}


def stack_value(stack, name: str) -> str:
    from dotenv import dotenv_values

    return dotenv_values(stack.root / ".launcher" / "values.env")[name]


def test_a_service_swarm_cannot_start_fails_with_swarm_s_reason(swarm, swarm_stack, docker_client):
    stack, project = swarm_stack, swarm_stack.project
    # An image that is missing is refused before anything starts (the image preflight, exit 8);
    # a container that exits at once is a failure only Swarm can report.
    stack.edit("compose/cache.yml", "    pull_policy: never\n", '    pull_policy: never\n    entrypoint: ["sh", "-c", "exit 3"]\n')
    try:
        result = stack.launcher("up", "--target", "swarm", "--json", timeout=300)
        assert result.returncode == 9, result.stdout[-3000:] + result.stderr
        failed = [e for e in json_lines(result.stdout) if e["event"] == "service-failed"]
        assert [e["service"] for e in failed] == ["redis"]
        assert "exited with code 3" in failed[0]["reason"]
        assert failed[0]["next_command"] == f"docker service logs --no-trunc {project}-cache_redis"
        assert result.stderr.count("\n") == 1 and "service redis (group cache)" in result.stderr
        assert not [e for e in json_lines(result.stdout) if e["event"] == "group-starting" and e["group"] == "app"]
        # The healthy group keeps running, as on the local target.
        status = json.loads(stack.launcher("status", "--target", "swarm", "--json").stdout)
        assert {row["service"]: row["ready"] for row in status["services"]}["postgres"] is True
    finally:
        down = stack.launcher("down", "--target", "swarm", "--volumes", "--yes", timeout=180)
    assert down.returncode == 0, down.stderr
    assert leftovers(docker_client, project) == {"services": [], "containers": [], "networks": [], "secrets": [],
                                                 "configs": [], "volumes": []}


def test_two_instances_of_one_stack_share_a_swarm_without_seeing_each_other(swarm, first_checkout, second_checkout,
                                                                             docker_client):
    """Two checkouts of one stack, deployed at the same time: each has its own stacks, tasks, network,
    secret, config and volumes; `down --volumes` of the one whose name is a prefix of the other's
    leaves the other running, whole."""
    import psycopg

    client, checkouts = docker_client, (first_checkout, second_checkout)
    for stack in checkouts:
        stack.edit("compose/app.yml", "    volumes:\n", "    volumes:\n" + FILES.lstrip("\n"))
    try:
        with ThreadPoolExecutor(2) as pool:
            ups = list(pool.map(lambda stack: stack.launcher("up", "--target", "swarm", "--json", timeout=300),
                                checkouts))
        for result in ups:
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr
        found = {stack.project: leftovers(client, stack.project) for stack in checkouts}
        for stack in checkouts:
            mine = found[stack.project]
            assert sorted(mine["services"]) == sorted(f"{stack.project}-{group}_{service}" for group, service in
                                                      (("db", "postgres"), ("cache", "redis"), ("app", "migrate"),
                                                       ("app", "web")))
            assert len(mine["containers"]) == 4
            assert mine["networks"] == [f"{stack.project}-default"]
            assert all(name.startswith(f"{stack.project}_") for name in mine["secrets"] + mine["configs"])
            assert (len(mine["secrets"]), len(mine["configs"])) == (1, 1)
            assert sorted(mine["volumes"]) == [f"{stack.project}-app_files", f"{stack.project}-cache_redisdata",
                                               f"{stack.project}-db_pgdata"]
            assert ready(stack) == {"postgres": True, "redis": True, "migrate": True, "web": True}
            # Its own secret (the env file holds its own password and ports) and its own database.
            web = client.containers.list(filters={"label": [f"{LABEL}={stack.project}", "launcher.swarm.service=web"]})
            assert web[0].exec_run(["cat", "/run/launcher/stack.env"]).output.decode() == \
                (stack.root / ".env").read_text()
            dsn = f"postgresql://postgres:{stack_value(stack, 'PG_PASSWORD')}@127.0.0.1:{stack.ports['PG_PORT']}/postgres"
            with psycopg.connect(dsn) as conn:
                assert conn.execute("SELECT name FROM items").fetchall() == [("first",)]
        first, second = checkouts
        assert stack_value(first, "PG_PASSWORD") != stack_value(second, "PG_PASSWORD")

        down = first.launcher("down", "--target", "swarm", "--volumes", "--yes", timeout=180)
        assert down.returncode == 0, down.stderr
        assert leftovers(client, first.project) == {"services": [], "containers": [], "networks": [], "secrets": [],
                                                    "configs": [], "volumes": []}
        kept = leftovers(client, second.project)
        assert {kind: sorted(names) for kind, names in kept.items()} == \
            {kind: sorted(names) for kind, names in found[second.project].items()}
        assert ready(second) == {"postgres": True, "redis": True, "migrate": True, "web": True}
    finally:
        downs = [stack.launcher("down", "--target", "swarm", "--volumes", "--yes", timeout=180) for stack in checkouts]
    assert all(down.returncode == 0 for down in downs), [down.stderr for down in downs]
    for stack in checkouts:
        assert leftovers(client, stack.project) == {"services": [], "containers": [], "networks": [], "secrets": [],
                                                    "configs": [], "volumes": []}


def ready(stack) -> dict[str, bool]:
    status = stack.launcher("status", "--target", "swarm", "--json")
    assert status.returncode == 0, status.stderr
    return {row["service"]: row["ready"] for row in json.loads(status.stdout)["services"]}
