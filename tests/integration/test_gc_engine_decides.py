"""`gc` and `down --all` on the real engine when the registry is wrong: the engine decides.

One running instance (the engine test stack's db group: a container, a network, volumes) is
moved to another folder, then pointed by its registry entry at a folder that is another
checkout, then left with its folder deleted: while it runs, `gc --volumes --yes` (run from
another checkout) removes nothing of it. `down --all` names it and only stops it; then, truly
stale, `gc` lists what it holds, asks, and removes everything but the volume a container
outside the instance still uses, which goes once that container is gone.
"""

from __future__ import annotations

import json
import shutil

import pytest

from tests.integration.engine_stack import FIXTURE, PROJECT_LABEL, engine_stack  # noqa: F401 - a fixture
from wizard.core.support import registry

pytestmark = pytest.mark.integration


def held(client, project: str) -> dict[str, object]:
    """What the engine holds of ``project``: containers (name -> status), networks, volumes."""
    label = {"label": f"{PROJECT_LABEL}={project}"}
    return {"containers": {c.name: c.status for c in client.containers.list(all=True, filters=label)},
            "networks": sorted(n.name for n in client.networks.list(filters=label)),
            "volumes": sorted(v.name for v in client.volumes.list(filters=label))}


def point_entry_at(project: str, folder) -> None:
    with registry.changing("test") as instances:
        instances[project].folder = str(folder)


def test_gc_leaves_a_moved_or_misregistered_running_checkout_and_still_cleans_a_stale_one(
        engine_stack, docker_client, images, tmp_path):
    stack, project = engine_stack, engine_stack.project
    up = stack.launcher("up", "--non-interactive", "--only", "db")
    assert up.returncode == 0, up.stderr
    running = held(docker_client, project)
    assert running["networks"] and running["volumes"] and "running" in running["containers"].values(), running
    other = tmp_path / "other"  # another checkout of the stack, where the commands below run
    shutil.copytree(FIXTURE, other)
    outsider = None

    def gc(*extra: str):
        return stack.run("gc", *extra, cwd=other, env=stack.env, timeout=120)

    try:
        # 1. The checkout moved, nothing run from its new folder yet: the registry's folder is gone.
        moved = tmp_path / "moved"
        stack.root.rename(moved)
        result = gc("--volumes", "--yes")
        assert result.returncode == 0, result.stderr
        assert f"{project}: kept, it runs" in result.stdout
        assert held(docker_client, project) == running
        # `status` in the moved checkout puts its entry where it now is.
        status = stack.run("status", "--json", cwd=moved, env=stack.env, timeout=60)
        assert status.returncode == 0, status.stderr
        assert registry.read()[project].folder == str(moved)

        # 2. The entry names another checkout's folder (its .launcher/instance names another instance).
        (other / ".launcher").mkdir()
        (other / ".launcher" / "instance").write_text("someone-else\n")
        point_entry_at(project, other)
        result = gc("--volumes", "--yes")
        assert result.returncode == 0, result.stderr
        assert held(docker_client, project) == running
        assert registry.read()[project].folder == str(other)

        # `ls` in the moved checkout puts its entry where it now is.
        listed = stack.run("ls", "--json", cwd=moved, env=stack.env, timeout=60)
        assert listed.returncode == 0, listed.stderr
        row = {row["name"]: row for row in json.loads(listed.stdout)["instances"]}[project]
        assert (row["folder"], row["state"], row["folder_ok"]) == (str(moved), "running", True)
        assert registry.read()[project].folder == str(moved)

        # 3. Its folder deleted while it runs: still nothing removed.
        shutil.rmtree(moved)
        result = gc("--volumes", "--yes")
        assert result.returncode == 0, result.stderr
        assert held(docker_client, project) == running

        # `down --all` names what it acts on; this one's folder is gone, so it is only stopped.
        asked = stack.run("down", "--all", cwd=other, env=stack.env, timeout=60)
        assert asked.returncode == 11 and project in asked.stderr and "stopped only" in asked.stderr, asked.stderr
        assert held(docker_client, project) == running
        down = stack.run("down", "--all", "--yes", "--volumes", cwd=other, env=stack.env, timeout=120)
        assert down.returncode == 0, down.stderr
        stopped = held(docker_client, project)
        assert set(stopped["containers"]) == set(running["containers"])
        assert "running" not in stopped["containers"].values(), stopped
        assert (stopped["networks"], stopped["volumes"]) == (running["networks"], running["volumes"])

        # 4. Truly stale now (folder gone, nothing runs); one volume is used by a container outside it.
        kept_volume = running["volumes"][0]
        outsider = docker_client.containers.create(images["busybox"], ["true"], name=f"{project}-outsider",
                                                   volumes={kept_volume: {"bind": "/data", "mode": "rw"}})
        listed = gc()
        assert listed.returncode == 11, listed.stderr  # asked, and nobody can answer: nothing removed
        for name in [*running["containers"], *running["networks"]]:
            assert name in listed.stdout
        assert held(docker_client, project) == stopped
        result = gc("--volumes", "--yes")
        assert result.returncode == 0, result.stderr
        assert f"{kept_volume} (used by {project}-outsider)" in result.stdout
        assert held(docker_client, project) == {"containers": {}, "networks": [], "volumes": [kept_volume]}
        assert project in registry.read()  # its last volume keeps it registered

        outsider.remove()
        outsider = None
        result = gc("--volumes", "--yes")
        assert result.returncode == 0, result.stderr
        assert held(docker_client, project) == {"containers": {}, "networks": [], "volumes": []}
        assert project not in registry.read()
    finally:
        if outsider is not None:
            outsider.remove(force=True)
