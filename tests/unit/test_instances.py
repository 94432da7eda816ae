"""Instances of one stack on one machine: their names, their blocks of ports, the registry they share.

Real `launcher` processes and real git worktrees; only the engine is left out (no container here).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

from tests.conftest import launcher_command
from tests.integration.engine_stack import FIXTURE, git
from wizard.core.support import registry

PORTS = ("PG_PORT", "REDIS_PORT", "WEB_PORT")


def repository(tmp_path: Path) -> Path:
    main = tmp_path / "repo"
    shutil.copytree(FIXTURE, main)
    git("init", "-q", "-b", "main", cwd=main)
    git("add", "-A", cwd=main)
    git("commit", "-qm", "the stack", cwd=main)
    return main


def launcher(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*launcher_command(), *args], cwd=cwd, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, env={**os.environ, "CI": "1"})


def ports_of(root: Path) -> dict[str, int]:
    lines = (root / ".env").read_text().splitlines()
    return {name: int(value) for name, _, value in (line.partition("=") for line in lines) if name in PORTS}


def test_main_checkout_keeps_the_name_a_worktree_gets_its_own_and_ports_move_as_one_block(tmp_path):
    main = repository(tmp_path)
    git("worktree", "add", "-q", str(tmp_path / "Fix Login"), "-b", "fix-login", cwd=main)
    for root in (main, tmp_path / "Fix Login"):
        result = launcher("init", "--non-interactive", cwd=root)
        assert result.returncode == 0, result.stderr
    instances = registry.read()
    assert sorted(instances) == ["enginestack", "enginestack-fix-login"]
    assert instances["enginestack"].folder == str(main)
    first, second = ports_of(main), ports_of(tmp_path / "Fix Login")
    offsets = {second[name] - first[name] for name in PORTS}
    assert len(offsets) == 1 and offsets.pop() % 100 == 0 and first != second
    assert instances["enginestack-fix-login"].ports == second
    # Stable across runs: a second init keeps the name and the block.
    again = launcher("init", "--non-interactive", cwd=tmp_path / "Fix Login")
    assert again.returncode == 0, again.stderr
    assert ports_of(tmp_path / "Fix Login") == second and sorted(registry.read()) == sorted(instances)


def test_explicit_set_wins_and_instance_names_the_checkout(tmp_path):
    main = repository(tmp_path)
    clone = tmp_path / "clone"
    shutil.copytree(main, clone)  # another clone of the same stack (a main checkout of its own)
    assert launcher("init", "--non-interactive", cwd=main).returncode == 0
    taken = ports_of(main)["PG_PORT"]
    result = launcher("init", "--non-interactive", "--instance", "review", f"--set=PG_PORT={taken}", cwd=clone)
    assert result.returncode == 0, result.stderr
    assert (clone / ".launcher" / "instance").read_text().strip() == "review"
    assert ports_of(clone)["PG_PORT"] == taken  # the user's own choice, even onto another instance's port
    assert registry.read()["review"].folder == str(clone)
    # A name another folder holds is refused, in one line, and nothing is renamed.
    refused = launcher("init", "--non-interactive", "--instance", "enginestack", cwd=clone)
    assert refused.returncode == 2 and "belongs to" in refused.stderr and refused.stderr.count("\n") <= 2
    assert (clone / ".launcher" / "instance").read_text().strip() == "review"
    bad = launcher("init", "--non-interactive", "--instance", "Not Valid", cwd=clone)
    assert bad.returncode == 2 and "not a valid compose project name" in bad.stderr


def test_a_second_clone_without_a_worktree_is_named_from_its_branch(tmp_path):
    main = repository(tmp_path)
    assert launcher("init", "--non-interactive", cwd=main).returncode == 0
    clone = tmp_path / "elsewhere"
    subprocess.run(["git", "clone", "-q", "-b", "main", str(main), str(clone)], check=True, capture_output=True)
    git("checkout", "-q", "-b", "Feature/Payments", cwd=clone)
    assert launcher("init", "--non-interactive", cwd=clone).returncode == 0
    assert (clone / ".launcher" / "instance").read_text().strip() == "enginestack-feature-payments"


def test_racing_inits_in_four_worktrees_never_share_a_block(tmp_path):
    main = repository(tmp_path)
    trees = [tmp_path / f"wt{number}" for number in range(4)]
    for tree in trees:
        git("worktree", "add", "-q", str(tree), "-b", tree.name, cwd=main)
    runs = [subprocess.Popen([*launcher_command(), "init", "--non-interactive"], cwd=tree, env={**os.environ, "CI": "1"},
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for tree in [main, *trees]]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    blocks = [ports_of(root) for root in (main, *trees)]
    every_port = [port for block in blocks for port in block.values()]
    assert len(set(every_port)) == len(every_port), blocks
    recorded = registry.read()
    assert len(recorded) == 5 and len({entry.offset for entry in recorded.values()}) == 5
    assert json.loads(registry.registry_path().read_text())["format"] == registry.FORMAT


def test_a_gone_instance_with_nothing_left_is_forgotten_one_with_a_volume_kept(tmp_path):
    from wizard.core.lifecycle.instances import forget_gone

    with registry.changing("test") as instances:
        for name in ("empty", "has-data", "here"):
            instances[name] = registry.Instance(name, "s", str(tmp_path / name), ports={"P": 20000})
    (tmp_path / "here").mkdir()
    (tmp_path / "here" / "stack.toml").write_text("")
    volumes = {"has-data": [SimpleNamespace(name="has-data_pg")]}

    def listing(found):
        return lambda all=False, filters=None: found.get(filters["label"].split("=", 1)[1], [])

    engine = SimpleNamespace(containers=SimpleNamespace(list=listing({})), volumes=SimpleNamespace(list=listing(volumes)),
                             networks=SimpleNamespace(list=listing({})))
    assert forget_gone(engine) == ["empty"]
    assert sorted(registry.read()) == ["has-data", "here"]


def test_a_damaged_registry_is_named_by_init_and_stops_nothing_else(tmp_path):
    main = repository(tmp_path)
    registry.registry_path().parent.mkdir(parents=True, exist_ok=True)
    registry.registry_path().write_text("{not json")
    plan = launcher("plan", cwd=main)
    assert plan.returncode == 0, plan.stderr
    init = launcher("init", "--non-interactive", cwd=main)
    assert init.returncode == 3 and "instance registry" in init.stderr and init.stderr.count("\n") <= 2
    assert not (main / ".env").exists()  # nothing half-written


def test_a_recorded_instance_name_that_is_not_one_is_refused_not_passed_over(tmp_path):
    main = repository(tmp_path)
    assert launcher("init", "--non-interactive", cwd=main).returncode == 0
    (main / ".launcher" / "instance").write_text("Not A Name\n")
    status = launcher("status", cwd=main)
    assert status.returncode == 3 and status.stderr.count("\n") == 1
    assert ".launcher/instance:1: not an instance name" in status.stderr and "delete the file" in status.stderr
    (main / ".launcher" / "instance").unlink()
    assert launcher("init", "--non-interactive", cwd=main).returncode == 0
    assert (main / ".launcher" / "instance").read_text().strip() == "enginestack"
