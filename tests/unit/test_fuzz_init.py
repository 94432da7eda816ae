"""A bounded, seeded fuzzer over the bundled manifest, its templates and the values given to `init`.

Each round copies the bundled stack into a fresh folder inside a sandbox, applies one
mutation (a hostile path, a broken value, a control character, undecodable bytes, a
line removed or doubled...) and runs `launcher init --non-interactive` in process.
Whatever the mutation, these must hold:
- no exit code 1 (an unexpected error) and no hang;
- nothing is written outside the stack folder;
- when init succeeds, a second init (which reads the store and every file it wrote)
  and `secrets check` succeed too: init never writes what a later command cannot read.

LAUNCHER_FUZZ_ROUNDS and LAUNCHER_FUZZ_SEED change the size and the seed; a failure
prints the seed and round so it can be replayed. The rounds run as PARTS tests (so the two
workers of the full run share them rather than one carrying the whole fuzzer): each part
replays the mutations of the rounds before its own without running init, so together they
run exactly the one seeded sequence of rounds.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import re
import shutil
import signal
from pathlib import Path

import pytest

from tests.conftest import REPO
from wizard.cli import main

ROUNDS = int(os.environ.get("LAUNCHER_FUZZ_ROUNDS", "2000"))
SEED = int(os.environ.get("LAUNCHER_FUZZ_SEED", "20261130"))
ROUND_SECONDS = 30
PARTS = 4

HOSTILE_TEXT = [
    "", " ", "'", '"', "\\", "abc\\", "$", "$$", "$HOME", "${JWT_SECRET}", "${NOPE}", "it's ${X}",
    "x'); DROP TABLE canary; --", "\u2028", "\x0b", "\x0c", "\x1c", "\x85", "\u00e9", "#", "a #b", " lead",
    "\t", "=", "a=b", "../../outside.env", "/abs/outside.env", ".launcher/values.env", "stack.toml",
    ".gitignore", "envtemplates/stack.env", "compose/app.yml", "env/../../x", "env", "secrets", ".env",
    "70000", "-1", "0", "1e9", "true", "http://", "http://x'y@z", "::1", "a" * 5000,
]
HOSTILE_TOML_VALUES = ['"../../outside.env"', '"/abs/outside.env"', '".launcher/values.env"', '"stack.toml"',
                       '".gitignore"', '"envtemplates/stack.env"', "70000", "-5", "0", "true", "[]",
                       '["x"]', '"jwt"', '"JWT_SECRET"', '"ANON_KEY"', '"mongo-keyfile"', '"port"',
                       '"${JWT_SECRET}"', '""', '"\\u2028"', '"a\\\\"', "1e3", "{}"]


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def copy_bundled(target: Path, folders: tuple[str, ...] = ("compose", "envtemplates")) -> None:
    target.mkdir(parents=True)
    shutil.copy(REPO / "stack.toml", target / "stack.toml")
    for folder in folders:
        shutil.copytree(REPO / folder, target / folder)


def mutate(rng: random.Random, stack: Path, sandbox: Path) -> tuple[str, list[str]]:
    """Apply one mutation; return its description and extra init arguments."""
    manifest = stack / "stack.toml"
    templates = sorted((stack / "envtemplates").iterdir())
    choice = rng.randrange(8)
    if choice == 0:  # a manifest value replaced
        lines = manifest.read_text().split("\n")
        candidates = [i for i, line in enumerate(lines) if re.match(r"^\s*\w+\s*=", line)]
        index = rng.choice(candidates)
        key = lines[index].split("=", 1)[0]
        value = rng.choice(HOSTILE_TOML_VALUES).replace("/abs", str(sandbox))
        lines[index] = f"{key}= {value}"
        manifest.write_text("\n".join(lines))
        return f"manifest line {index + 1}: {key}= {value}", []
    if choice == 1:  # a manifest line dropped or doubled
        lines = manifest.read_text().split("\n")
        index = rng.randrange(len(lines))
        if rng.random() < 0.5:
            del lines[index]
        else:
            lines.insert(index, lines[index])
        manifest.write_text("\n".join(lines))
        return f"manifest line {index + 1} dropped/doubled", []
    if choice == 2:  # a template line added
        template = rng.choice(templates)
        text = template.read_text()
        hostile = rng.choice(HOSTILE_TEXT)
        line = rng.choice([f"# comment {hostile}", f"NEW_KEY={hostile}", f"NEW_KEY=${{JWT_SECRET}}{hostile}",
                           hostile])
        template.write_text(text + line + "\n")
        return f"template {template.name} + {line!r}", []
    if choice == 3:  # undecodable bytes somewhere
        target = rng.choice([manifest, *templates])
        data = bytearray(target.read_bytes())
        data.insert(rng.randrange(len(data)), rng.choice([0xFF, 0xC3, 0x80, 0xFE]))
        target.write_bytes(bytes(data))
        return f"bad byte in {target.name}", []
    if choice == 4:  # a hostile output path
        value = rng.choice(HOSTILE_TEXT[22:41]).replace("/abs", str(sandbox))
        manifest.write_text(manifest.read_text() + f'\n[outputs.fuzz]\ntemplate = "envtemplates/stackweb.env"\n'
                                                   f'path = "{value}"\n')
        return f"output path {value!r}", []
    if choice == 5:  # something in the way on disk
        what = rng.choice([".gitignore", "secrets/mongo-keyfile", "env", ".launcher", ".env"])
        path = stack / what
        if rng.random() < 0.5:
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(rng.choice([b"\xff\xfe", b"JUNK LINE\n", b"X='unterminated\n", b"A=1\n"]))
        return f"{what} in the way", []
    # 6, 7: a hostile value given on the command line (twice as likely: values are the daily input)
    name = rng.choice(["SMTP_PASS", "STACKEND_INTERNAL_URL", "JWT_SECRET", "POSTGRES_PASSWORD", "KONG_HTTP_PORT",
                       "SITE_URL", "MONGO_ROOT_USERNAME", "ENABLE_EMAIL_SIGNUP", "NOT_DECLARED"])
    value = rng.choice(HOSTILE_TEXT)
    return f"--set {name}={value!r}", ["--set", f"{name}={value}"]


def run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    signal.alarm(ROUND_SECONDS)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
    finally:
        signal.alarm(0)
    return code, err.getvalue()


def snapshot(sandbox: Path, stack: Path) -> dict[str, bytes]:
    """Every file in the sandbox outside the stack folder, with its content."""
    return {str(path): path.read_bytes() for path in sandbox.rglob("*")
            if path.is_file() and not path.is_relative_to(stack)}


@pytest.mark.parametrize("part", range(PARTS))
def test_init_survives_mutations_of_manifest_templates_and_values(part, tmp_path, monkeypatch):
    rng = random.Random(SEED)
    first, last = ROUNDS * part // PARTS, ROUNDS * (part + 1) // PARTS
    previous = signal.signal(signal.SIGALRM, _alarm)
    monkeypatch.setenv("LAUNCHER_LOCK_WAIT", "5")
    monkeypatch.setenv("CI", "1")  # never prompt
    sandbox = tmp_path / "sandbox"
    (sandbox / "keep").mkdir(parents=True)
    (sandbox / "keep" / "outside.env").write_text("UNTOUCHED=1\n")
    outcomes: dict[int, int] = {}
    try:
        for round_number in range(last):
            stack = sandbox / "a" / "b" / f"stack{round_number}"
            if round_number < first:  # another part's round: only its draws (mutate reads no compose file)
                copy_bundled(stack, folders=("envtemplates",))
                mutate(rng, stack, sandbox)
                shutil.rmtree(stack)
                continue
            copy_bundled(stack)
            what, extra = mutate(rng, stack, sandbox)
            before = snapshot(sandbox, stack)
            replay = f"seed {SEED}, round {round_number}: {what}"
            try:
                code, err = run("init", "--non-interactive", "--stack", str(stack / "stack.toml"), *extra)
            except Hang:
                raise AssertionError(f"init hung — {replay}") from None
            outcomes[code] = outcomes.get(code, 0) + 1
            assert code != 1, f"{replay}\n{err}"
            assert err.count("\n") <= 10, f"{replay}\n{err}"
            assert snapshot(sandbox, stack) == before, f"wrote outside the stack folder — {replay}"
            if code == 0:
                for command in (["init", "--non-interactive"], ["secrets", "check"]):
                    again, err = run(*command, "--stack", str(stack / "stack.toml"))
                    assert again in (0, 6) if command[0] == "secrets" else again == 0, \
                        f"{' '.join(command)} after a successful init exited {again} — {replay}\n{err}"
            shutil.rmtree(stack)
    finally:
        signal.signal(signal.SIGALRM, previous)
    # The mutations reach both sides: some runs succeed, most kinds of refusal occur.
    assert outcomes.get(0, 0) > (last - first) // 10 and {2, 3}.issubset(outcomes), outcomes
