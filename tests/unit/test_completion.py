"""Shell completion: the script `launcher completion bash` prints, sourced in a real bash and driven
through its completion function, completes commands, options, service and snapshot names."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import launcher_command
from tests.integration.engine_stack import FIXTURE


@pytest.fixture
def stack(tmp_path) -> Path:
    root = tmp_path / "stack"
    shutil.copytree(FIXTURE, root)
    (root / ".launcher" / "snapshots" / "before-migration").mkdir(parents=True)
    return root


def bash_completes(root: Path, *words: str) -> list[str]:
    """COMPREPLY after bash's completion function for ``launcher WORDS`` (the last word being typed)."""
    script = subprocess.run([*launcher_command(), "completion", "bash"], capture_output=True, text=True, check=True).stdout
    quoted = " ".join(f"'{word}'" for word in ("launcher", *words))
    program = (f"{script}\nCOMP_WORDS=({quoted}); COMP_CWORD={len(words)}; COMP_LINE='launcher {' '.join(words)}'\n"
               "_launcher_complete; printf '%s\\n' \"${COMPREPLY[@]}\"")
    bindir = str(Path(launcher_command()[0]).parent)
    result = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], cwd=root, capture_output=True,
                            text=True, timeout=30, env={**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"})
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line]


def test_bash_completes_a_service_name(stack):
    assert bash_completes(stack, "logs", "re") == ["redis"]
    assert bash_completes(stack, "restart", "") == ["postgres", "redis", "migrate", "web", "db", "cache", "app"]


def test_bash_completes_commands_options_snapshots_and_choices(stack):
    assert bash_completes(stack, "sna") == ["snapshot"]
    assert bash_completes(stack, "snapshot", "restore", "") == ["before-migration"]
    assert "--allow-demo-secrets" in bash_completes(stack, "up", "--a")
    assert bash_completes(stack, "up", "--target", "") == ["local", "swarm"]
    assert bash_completes(stack, "--stack", str(stack / "stack.toml"), "logs", "w") == ["web"]


def test_a_broken_stack_completes_nothing_and_says_nothing(tmp_path):
    (tmp_path / "stack.toml").write_text("[stack\n")
    result = subprocess.run([*launcher_command(), "__complete", "1", "logs", ""], cwd=tmp_path, capture_output=True,
                            text=True)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts_ask_the_same_hidden_command(shell):
    script = subprocess.run([*launcher_command(), "completion", shell], capture_output=True, text=True, check=True)
    assert "launcher __complete" in script.stdout


def test_bash_completes_instance_names_from_the_registry(stack):
    from wizard.core.support import registry

    with registry.changing("test") as instances:
        instances["shop-review"] = registry.Instance("shop-review", "shop", str(stack))
    assert bash_completes(stack, "init", "--instance", "shop") == ["shop-review"]
