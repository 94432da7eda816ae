"""The upgrade's files are notes: on the real engine, a journal or switch file deletes or starts only what the
engine shows the upgrade made (issue 31, item 2). Lean: one `up` in all, the rest works on volumes alone."""

from __future__ import annotations

import json

import pytest

from tests.integration.engine_stack import PROJECT_LABEL, engine_stack, project_containers  # noqa: F401
from tests.integration.test_upgrade import seeded_on_15

pytestmark = pytest.mark.integration

FROM_LABEL = "launcher.upgrade.from"


def journal(engine_stack, **fields) -> None:
    state = {"phase": "copy", "upgrade_id": "ab" * 16, "new_volumes": [], "services": ["postgres"], "snapshot": "",
             "override_before": None, **fields}
    (engine_stack.root / ".launcher" / "upgrade-journal.json").write_text(json.dumps(state))


def names(docker_client) -> set[str]:
    return {volume.name for volume in docker_client.volumes.list()}


def test_no_volume_an_upgrade_did_not_make_is_removed_by_a_journal_or_a_failed_upgrade(engine_stack, docker_client):
    # A last-up record of the wrong shape is a note: set aside, rebuilt by `up`, never a blocker (item 8).
    record = engine_stack.root / ".launcher" / "last-up.json"
    bad = json.dumps({"config": {"services": "x"}})
    record.write_text(bad)
    old, before = seeded_on_15(engine_stack, docker_client)  # `up` exits 0
    assert json.loads(record.read_text())["config"]["services"]["postgres"]
    assert (engine_stack.root / ".launcher" / "last-up.json.bad").read_text() == bad
    record.write_text(bad)
    project, live = engine_stack.project, f"{engine_stack.project}_pgdata"
    made = [docker_client.volumes.create(name=f"{project}-stray"),  # unlabelled
            docker_client.volumes.create(name=f"{project}-theirs", labels={PROJECT_LABEL: f"{project}-other"}),
            # This project's and "from" an upgrade, but no run's id: a hand-made look-alike.
            docker_client.volumes.create(name=f"{project}-lookalike", labels={PROJECT_LABEL: project, FROM_LABEL: live})]
    # A leftover of an earlier attempt (or the user's own) under the name the move writes into.
    made.append(docker_client.volumes.create(name=f"{live}-pg17", labels={PROJECT_LABEL: project}))
    try:
        journal(engine_stack, new_volumes=[volume.name for volume in made[:3]] + [live])
        engine_stack.edit("compose/db.yml", "launcher-test/postgres:15", "launcher-test/postgres17:17")

        result = engine_stack.launcher("upgrade", "--yes")

        # The journal's rollback keeps all four; the move then refuses the leftover before anything changes.
        assert result.returncode == 8, result.stdout + result.stderr
        assert f"volume {live}-pg17 exists already" in result.stderr
        assert "last-up record" in result.stdout and "set aside" in result.stdout, result.stdout
        for name in (f"{project}-stray", f"{project}-theirs", f"{project}-lookalike", live):
            assert f"kept volume {name}, named by the upgrade's journal" in result.stdout, result.stdout
        assert {volume.name for volume in made} | {live} <= names(docker_client)
        assert not (engine_stack.root / ".launcher" / "upgrade-journal.json").exists()
        running = project_containers(docker_client, project)["postgres"]
        assert running.id == old.id and running.status == "running"
    finally:
        for volume in made:
            volume.remove(force=True)


def test_finish_keeps_a_volume_whose_from_label_no_upgrade_of_this_stack_set(engine_stack, docker_client):
    project = engine_stack.project
    live = docker_client.volumes.create(name=f"{project}_pgdata", labels={PROJECT_LABEL: project})
    # Says it was copied from the live volume, and is this project's, but carries no upgrade's id.
    forged = docker_client.volumes.create(name=f"{project}_forged", labels={PROJECT_LABEL: project, FROM_LABEL: live.name})
    switch = engine_stack.root / ".launcher" / "upgrade.yml"
    try:
        switch.write_text(json.dumps({"volumes": {"pgdata": {"name": forged.name, "external": True}}}))
        finished = engine_stack.launcher("upgrade", "--finish", "--yes")
        assert finished.returncode == 0, finished.stdout + finished.stderr
        assert "nothing to finish" in finished.stdout
        assert {live.name, forged.name} <= names(docker_client)

        # A switch file that is not the launcher's (plain YAML): the same one line from `up` and `upgrade`, exit 3.
        switch.write_text(f"volumes:\n  pgdata:\n    name: {forged.name}\n    external: true\n")
        said = set()
        for command in (("up",), ("upgrade", "--finish", "--yes"), ("upgrade", "--yes")):
            refused = engine_stack.launcher(*command)
            assert refused.returncode == 3, refused.stdout + refused.stderr
            [line] = refused.stderr.strip().splitlines()
            assert str(switch) in line and "Traceback" not in line
            said.add(line)
        assert len(said) == 1, said
        assert {live.name, forged.name} <= names(docker_client)
    finally:
        forged.remove(force=True)
        live.remove(force=True)


def test_a_journal_whose_previous_config_bind_mounts_a_host_folder_is_refused(engine_stack, docker_client, tmp_path):
    host = tmp_path / "host-folder"
    host.mkdir()
    previous = {"standalone": True, "document": {
        "services": {"postgres": {"image": "launcher-test/postgres:15", "pull_policy": "never",
                                  "volumes": [{"type": "bind", "source": str(host),
                                               "target": "/var/lib/postgresql/data"}]}}}}
    journal(engine_stack, phase="switched", previous=previous)

    result = engine_stack.launcher("upgrade", "--yes")

    assert result.returncode == 3, result.stdout + result.stderr
    assert f"refused: postgres mounts {host} at /var/lib/postgresql/data" in result.stderr
    assert not list(host.iterdir())  # nothing started on it
    assert "postgres" not in project_containers(docker_client, engine_stack.project)
    assert (engine_stack.root / ".launcher" / "upgrade-journal.json").exists()  # kept: the user decides
