"""Shell completion: the script `launcher completion bash` prints, sourced in a real bash and driven
through its completion function, completes commands, options, service and snapshot names."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

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


# ---------------------------------------------------------------- hostile names, in each shell

PWNED = "pwned"
# (name, what is typed before Tab): each name is the only one its typed prefix matches.
HOSTILE_SNAPSHOTS = [
    (f"x;touch {PWNED}", "x"),
    ("*", "\\*"),
    ("it's \"q\" $(touch pwned) a b", "it"),
]
HOSTILE_SERVICE = f"s`touch {PWNED}`"
LEFT_OUT = "new\nline"  # a line break: cannot be carried one a line, and is not offered


@pytest.fixture
def hostile_stack(stack) -> Path:
    for name, _typed in HOSTILE_SNAPSHOTS:
        (stack / ".launcher" / "snapshots" / name).mkdir()
    (stack / ".launcher" / "snapshots" / LEFT_OUT).mkdir()
    compose = stack / "compose" / "cache.yml"
    model = yaml.safe_load(compose.read_text())
    model["services"][HOSTILE_SERVICE] = {"image": "x"}
    compose.write_text(yaml.safe_dump(model))
    return stack


def test_names_with_a_control_character_are_left_out_and_the_rest_come_whole(hostile_stack):
    result = subprocess.run([*launcher_command(), "__complete", "2", "snapshot", "restore", ""], cwd=hostile_stack,
                            capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == sorted(["before-migration", *(name for name, _ in HOSTILE_SNAPSHOTS)])
    assert bash_completes(hostile_stack, "logs", "s") == ["s\\`touch\\ pwned\\`"]


def test_bash_replies_are_quoted_never_split_globbed_or_run(hostile_stack):
    replies = bash_completes(hostile_stack, "snapshot", "restore", "")
    assert len(replies) == len(HOSTILE_SNAPSHOTS) + 1  # not `*` expanded to the stack's files
    assert sorted(shell_words("bash", hostile_stack, " ".join(replies))) == \
        sorted(["before-migration", *(name for name, _ in HOSTILE_SNAPSHOTS)])
    assert not list(hostile_stack.rglob(PWNED))


SHELL_SETUP = {
    # The completion script as a user loads it, and Ctrl-X bound to write the command line, NUL-ended, to
    # a file (and clear it): what Tab inserted, read from the shell itself.
    "bash": (["bash", "--norc", "--noprofile", "-i"],
             ['eval "$(launcher completion bash)"',
              "bind -x '\"\\C-x\": printf \"%s\\0\" \"$READLINE_LINE\" >> \"$DUMP\"; READLINE_LINE='"]),
    "zsh": (["zsh", "-f", "-i"],
            ["autoload -Uz compinit && compinit -u -D", 'eval "$(launcher completion zsh)"',
             '_dump() { print -rn -- "$BUFFER"$\'\\0\' >> "$DUMP"; BUFFER= }', "zle -N _dump", "bindkey '^X' _dump"]),
    "fish": (["fish", "--no-config", "-i"],
             ["launcher completion fish | source",
              "function _dump; printf '%s\\0' (commandline | string collect) >> $DUMP; commandline ''; end",
              "bind \\cx _dump"]),
}


def shell_inserts(shell: str, folder: Path, typed: list[str]) -> list[str]:
    """The command line after Tab for each of ``typed``, in an interactive ``shell`` on a terminal."""
    import pty
    import select
    import time

    if shutil.which(shell) is None:
        pytest.fail(f"{shell} is not installed: tests/testbed/provision installs it")
    argv, setup = SHELL_SETUP[shell]
    dump = folder.parent / f"{shell}-lines"
    env = {**os.environ, "PATH": f"{Path(launcher_command()[0]).parent}:{os.environ['PATH']}", "TERM": "dumb",
           "HOME": str(folder.parent), "XDG_CONFIG_HOME": str(folder.parent / "config"), "DUMP": str(dump)}
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the shell, on the terminal's other end
        os.chdir(folder)
        os.execvpe(argv[0], argv, env)
    try:
        # Typed ahead: each shell reads one key after the other, so Ctrl-X comes after Tab's completion.
        os.write(terminal, "".join(f"{line}\n" for line in setup).encode())
        os.write(terminal, "".join(f"{line}\t\x18" for line in typed).encode())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not dump.exists() or dump.read_bytes().count(b"\0") < len(typed)):
            if select.select([terminal], [], [], 0.1)[0]:
                try:
                    os.read(terminal, 65536)  # what it echoes: read, so the shell never blocks on a full terminal
                except OSError:
                    break
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    assert dump.exists(), f"{shell} wrote no command line"
    return dump.read_text().split("\0")[:-1]


def shell_words(shell: str, folder: Path, text: str) -> list[str]:
    """The words ``shell`` makes of ``text`` on a command line (running whatever it would run)."""
    command = {"bash": ["bash", "--norc", "--noprofile", "-c"], "zsh": ["zsh", "-f", "-c"],
               "fish": ["fish", "--no-config", "-c"]}[shell]
    done = subprocess.run([*command, f"printf '%s\\0' {text}"], cwd=folder, capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.split("\0")[:-1]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_tab_inserts_hostile_names_quoted_for_the_shell(hostile_stack, shell):
    cases = [(name, f"launcher snapshot restore {typed}") for name, typed in HOSTILE_SNAPSHOTS]
    cases += [(HOSTILE_SERVICE, "launcher logs s"), (None, "launcher snapshot restore new")]
    lines = shell_inserts(shell, hostile_stack, [typed for _name, typed in cases])
    for (name, typed), line in zip(cases, lines, strict=True):
        command = typed.rsplit(" ", 1)[0]
        assert line.startswith(command + " "), (typed, line)
        inserted = line[len(command) + 1:]
        if name is None:  # left out: nothing offered, nothing inserted (no file starts with "new" either)
            assert line == typed
        else:
            assert shell_words(shell, hostile_stack, inserted) == [name], line
    assert not list(hostile_stack.rglob(PWNED)) and not list(hostile_stack.parent.glob(PWNED))
