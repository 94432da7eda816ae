"""Two checkouts of one stack on one machine, on the real engine: a git repository and a second
worktree of it, each `launcher init && launcher up` with no option at all, both healthy at once on
their own ports and with their own data; `ls`, `down --all` and `gc` see both."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import psycopg
import pytest

from tests.conftest import remove_compose_project
from tests.integration.engine_stack import FIXTURE, git, free_ports, json_lines, project_containers

pytestmark = pytest.mark.integration


def env_values(root: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in (root / ".env").read_text().splitlines() if "=" in line
                and not line.startswith("#"))


def rows_of(stack_root: Path, run) -> dict[str, dict]:
    status = run("status", "--json", cwd=stack_root)
    assert status.returncode == 0, status.stderr
    return {row["service"]: row for row in json_lines(status.stdout)[0]["services"]}


def test_a_worktree_is_its_own_instance_with_its_own_ports_and_data(tmp_path, compose_project, images,
                                                                    docker_client, run_launcher):
    main = tmp_path / "repo"
    shutil.copytree(FIXTURE, main)
    manifest = main / "stack.toml"
    text = manifest.read_text().replace('name = "enginestack"', f'name = "{compose_project}"')
    for name, (default, port) in zip(("PG_PORT", "REDIS_PORT", "WEB_PORT"), zip((15432, 16379, 18080), free_ports(3))):
        text = text.replace(f"[settings.{name}]\nkind = \"port\"\ndefault = {default}",
                            f"[settings.{name}]\nkind = \"port\"\ndefault = {port}")
    manifest.write_text(text)
    git("init", "-q", "-b", "main", cwd=main)
    git("add", "-A", cwd=main)
    git("commit", "-qm", "the stack", cwd=main)
    worktree = tmp_path / "feature-x"
    git("worktree", "add", "-q", str(worktree), "-b", "feature-x", cwd=main)
    second = f"{compose_project}-feature-x"
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}

    def run(*args: str, cwd: Path):
        return run_launcher(*args, cwd=cwd, env=env, timeout=240)

    try:
        for root in (main, worktree):
            for command in (("init", "--non-interactive"), ("up", "--non-interactive")):
                result = run(*command, cwd=root)
                assert result.returncode == 0, f"{command} in {root.name}: {result.stderr}"

        # Both healthy at once, each in its own compose project, on ports of its own.
        assert (worktree / ".launcher" / "instance").read_text().strip() == second
        main_ports, tree_ports = env_values(main), env_values(worktree)
        names = ("PG_PORT", "REDIS_PORT", "WEB_PORT")
        assert not {main_ports[n] for n in names} & {tree_ports[n] for n in names}
        offsets = {int(tree_ports[n]) - int(main_ports[n]) for n in names}
        assert len(offsets) == 1 and next(iter(offsets)) % 100 == 0, (main_ports, tree_ports)  # one block
        status = json_lines(run("status", "--json", cwd=worktree).stdout)[0]
        assert (status["instance"], status["port_offset"]) == (second, next(iter(offsets)))
        assert f"{second} (ports +{next(iter(offsets))})" in run("status", cwd=worktree).stdout
        for root, project in ((main, compose_project), (worktree, second)):
            rows = rows_of(root, run)
            assert all(row["ready"] for row in rows.values()), rows
            assert set(project_containers(docker_client, project)) == {"postgres", "redis", "migrate", "web"}

        # Their own data: a row written into one database is absent from the other.
        def dsn(values):
            return f"postgresql://postgres:{values['PG_PASSWORD']}@127.0.0.1:{values['PG_PORT']}/postgres"

        with psycopg.connect(dsn(main_ports), autocommit=True) as connection:
            connection.execute("INSERT INTO items (name) VALUES ('only in main')")
        with psycopg.connect(dsn(tree_ports)) as connection:
            found = connection.execute("SELECT name FROM items ORDER BY id").fetchall()
        assert found == [("first",)]

        # `ls --json` lists both, with their folders and ports.
        listed = run("ls", "--json", cwd=tmp_path)
        assert listed.returncode == 0, listed.stderr
        instances = {row["name"]: row for row in json.loads(listed.stdout)["instances"]}
        assert {name: (row["folder"], row["state"]) for name, row in instances.items()} == {
            compose_project: (str(main), "running"), second: (str(worktree), "running")}
        assert instances[second]["ports"] == {n: int(tree_ports[n]) for n in names}
        assert instances[compose_project]["last_up"]

        # `down --all --yes` stops both.
        down = run("down", "--all", "--yes", cwd=tmp_path)
        assert down.returncode == 0, down.stderr
        assert project_containers(docker_client, compose_project) == {}
        assert project_containers(docker_client, second) == {}

        # The worktree folder deleted: gc removes what it left, and nothing of the main instance.
        main_volumes = {v.name for v in docker_client.volumes.list(
            filters={"label": f"com.docker.compose.project={compose_project}"})}
        assert main_volumes
        run("up", "--non-interactive", cwd=main)
        shutil.rmtree(worktree)
        gone = run("ls", "--json", cwd=tmp_path)
        assert {row["name"]: row["state"] for row in json.loads(gone.stdout)["instances"]}[second] == "folder gone"
        cleaned = run("gc", "--yes", "--volumes", cwd=tmp_path)
        assert cleaned.returncode == 0, cleaned.stderr
        label = {"label": f"com.docker.compose.project={second}"}
        assert docker_client.containers.list(all=True, filters=label) == []
        assert docker_client.volumes.list(filters=label) == []
        assert {v.name for v in docker_client.volumes.list(
            filters={"label": f"com.docker.compose.project={compose_project}"})} == main_volumes
        assert all(row["ready"] for row in rows_of(main, run).values())
        after = json.loads(run("ls", "--json", cwd=tmp_path).stdout)["instances"]
        assert [row["name"] for row in after] == [compose_project]  # the gone worktree is forgotten
    finally:
        remove_compose_project(docker_client, second)
