"""Safety rules of issue 10 that need no engine: paths, bad input as one line, the lock, folder modes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import launcher_command
from wizard.core.support.errors import ManifestInvalid
from wizard.core.support.lock import read_holder, stack_lock
from wizard.core.seeds.postgres.binder import MisplacedReference, bind_references
from wizard.core.manifest.stack import load_stack

BASE = """
[stack]
name = "safe"

[groups.app]
compose = ["compose/app.yml"]

[secrets.JWT_SECRET]
kind = "token"
length = 40

[secrets.ANON_KEY]
kind = "jwt"
signed_with = "JWT_SECRET"
role = "anon"

[settings.APP_PORT]
kind = "port"
default = "8080"

[outputs.stack]
template = "envtemplates/stack.env"
path = ".env"
"""


def make_stack(folder: Path, extra: str = "", base: str = BASE) -> Path:
    (folder / "compose").mkdir(parents=True, exist_ok=True)
    (folder / "compose" / "app.yml").write_text("services: {}\n")
    (folder / "envtemplates").mkdir(exist_ok=True)
    (folder / "envtemplates" / "stack.env").write_text("JWT_SECRET=${JWT_SECRET}\nANON_KEY=${ANON_KEY}\n"
                                                       "APP_PORT=${APP_PORT}\n")
    manifest = folder / "stack.toml"
    manifest.write_text(textwrap.dedent(base).lstrip() + textwrap.dedent(extra))
    return manifest


def problems(manifest: Path) -> list[str]:
    with pytest.raises(ManifestInvalid) as caught:
        load_stack(manifest)
    return caught.value.lines()


def launcher(folder: Path, *args: str, env: dict[str, str] | None = None, umask: int | None = None,
             argv_bytes: list[bytes] | None = None) -> subprocess.CompletedProcess[bytes]:
    command = [os.fsencode(part) for part in launcher_command()] + [os.fsencode(arg) for arg in args]
    command += argv_bytes or []
    return subprocess.run(command, cwd=folder, env={**os.environ, "NO_COLOR": "1", **(env or {})},
                          capture_output=True, timeout=120, stdin=subprocess.DEVNULL,
                          preexec_fn=(lambda: os.umask(umask)) if umask is not None else None)


# ---------------------------------------------------------------- paths stay inside the stack folder


@pytest.mark.parametrize("path", ["../../outside.env", "/tmp/x.env", "env/../../x.env"])
def test_an_output_outside_the_stack_folder_is_a_config_error_at_its_line(tmp_path, path):
    manifest = make_stack(tmp_path, f'\n[outputs.other]\ntemplate = "envtemplates/stack.env"\npath = "{path}"\n')
    lines = problems(manifest)
    assert any("stack.toml:26: outputs.other.path" in line and "outside the stack folder" in line
               for line in lines), lines


@pytest.mark.parametrize("key, extra", [
    ("template", '\n[outputs.other]\ntemplate = "../outside.env"\npath = "other.env"\n'),
    ("compose", '\n[groups.more]\ncompose = ["/etc/hostname"]\n'),
    ("path", '\n[secrets.MONGO_KEYFILE]\nkind = "mongo-keyfile"\nlength = 756\npath = "../keyfile"\n'),
])
def test_every_path_the_manifest_names_must_stay_inside(tmp_path, key, extra):
    lines = problems(make_stack(tmp_path, extra))
    assert any(f".{key} = " in line and "outside the stack folder" in line for line in lines), lines


def test_a_symlink_leading_out_of_the_stack_folder_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    stack = tmp_path / "stack"
    stack.mkdir()
    (stack / "env").symlink_to(outside)
    lines = problems(make_stack(stack, '\n[outputs.other]\ntemplate = "envtemplates/stack.env"\npath = "env/x.env"\n'))
    assert any("through a symbolic link" in line for line in lines), lines


def test_a_symlinked_output_is_refused_and_its_target_is_untouched(tmp_path):
    target = tmp_path / "target.env"
    target.write_text("JWT_SECRET=someone-elses-secret-0123456789abcdef\n")
    stack = tmp_path / "stack"
    stack.mkdir()
    manifest = make_stack(stack)
    (stack / ".env").symlink_to(stack / "other.env")
    (stack / "other.env").write_text("X=1\n")
    lines = problems(manifest)
    assert any("is a symbolic link" in line for line in lines), lines


@pytest.mark.parametrize("path, clash", [("stack.toml", "the manifest"), (".launcher/values.env", "own state"),
                                         (".gitignore", ".gitignore"), ("envtemplates/stack.env", "template"),
                                         ("compose/app.yml", "compose file"), (".env", "both write .env")])
def test_an_output_may_not_overwrite_what_the_stack_is_made_of(tmp_path, path, clash):
    manifest = make_stack(tmp_path, f'\n[outputs.other]\ntemplate = "envtemplates/stack.env"\npath = "{path}"\n')
    before = {file: file.read_bytes() for file in tmp_path.rglob("*") if file.is_file()}
    lines = problems(manifest)
    assert any(clash in line for line in lines), lines
    assert {file: file.read_bytes() for file in tmp_path.rglob("*") if file.is_file()} == before


# ---------------------------------------------------------------- the manifest agrees with secrets check


@pytest.mark.parametrize("extra, words", [
    ('\n[secrets.SELF]\nkind = "jwt"\nsigned_with = "SELF"\nrole = "x"\n', "which is a JWT itself"),
    ('\n[secrets.TWICE]\nkind = "jwt"\nsigned_with = "ANON_KEY"\nrole = "x"\n', "which is a JWT itself"),
    ('\n[secrets.SHORT]\nkind = "token"\nlength = 16\n[secrets.K]\nkind = "jwt"\nsigned_with = "SHORT"\n'
     'role = "x"\n', "signs JWTs: its length must be at least 32"),
    ('\n[secrets.OLD]\nkind = "jwt"\nsigned_with = "JWT_SECRET"\nrole = "x"\nexpires_days = 0\n',
     "expires_days must be at least 1"),
    ('\n[settings.BAD_PORT]\nkind = "port"\ndefault = 70000\n', "BAD_PORT default '70000' is not a port"),
])
def test_what_init_could_not_write_validly_is_a_manifest_problem(tmp_path, extra, words):
    lines = problems(make_stack(tmp_path, extra))
    assert any(words in line for line in lines), lines


# ---------------------------------------------------------------- bad input is one line, nothing written


def test_a_non_utf8_manifest_is_one_line_with_its_line_number(tmp_path):
    manifest = make_stack(tmp_path)
    manifest.write_bytes(manifest.read_bytes().replace(b'name = "safe"', b'name = "safe"\n# caf\xe9'))
    done = launcher(tmp_path, "plan")
    assert done.returncode == 3
    assert done.stderr.decode() == "launcher: stack.toml:3: not UTF-8 text — save the manifest as UTF-8\n"


def test_a_non_utf8_template_is_a_config_error(tmp_path):
    make_stack(tmp_path)
    (tmp_path / "envtemplates" / "stack.env").write_bytes(b"# caf\xe9\nJWT_SECRET=${JWT_SECRET}\n")
    done = launcher(tmp_path, "init", "--non-interactive")
    assert done.returncode == 3 and b"not UTF-8" in done.stderr and done.stderr.count(b"\n") == 1
    assert not (tmp_path / ".env").exists() and not (tmp_path / ".launcher" / "values.env").exists()


def test_non_utf8_set_environment_and_answers_are_usage_errors(tmp_path):
    make_stack(tmp_path, '\n[settings.SMTP_PASS]\ndefault = "x"\n')
    by_flag = launcher(tmp_path, "init", "--non-interactive", argv_bytes=[b"--set", b"SMTP_PASS=caf\xe9"])
    by_env = subprocess.run([*launcher_command(), "init", "--non-interactive"], cwd=tmp_path, capture_output=True,
                            env={**{k.encode(): v.encode() for k, v in os.environ.items()},
                                 b"LAUNCHER_SMTP_PASS": b"caf\xe9"}, timeout=120)
    (tmp_path / "answers.env").write_bytes(b"SMTP_PASS=caf\xe9\n")
    by_file = launcher(tmp_path, "init", "--non-interactive", "--answers", "answers.env")
    for done in (by_flag, by_env, by_file):
        assert done.returncode == 2, done.stderr
        assert b"UTF-8" in done.stderr and done.stderr.count(b"\n") == 1
    assert not (tmp_path / ".env").exists()


@pytest.mark.parametrize("in_the_way, code, words", [
    (".gitignore", 3, ".gitignore is not a plain file"),
    ("secrets/mongo-keyfile", 3, "secrets/mongo-keyfile is not a plain file"),
    (".env", 4, "cannot read .env: [Errno 21] Is a directory"),  # an env file to adopt values from
])
def test_a_folder_where_a_file_should_be_is_one_line_and_nothing_is_written(tmp_path, in_the_way, code, words):
    make_stack(tmp_path, '\n[secrets.MONGO_KEYFILE]\nkind = "mongo-keyfile"\nlength = 756\n'
                         'path = "secrets/mongo-keyfile"\n')
    (tmp_path / in_the_way).mkdir(parents=True)
    done = launcher(tmp_path, "init", "--non-interactive")
    assert done.returncode == code, done.stderr
    assert words.encode() in done.stderr and done.stderr.count(b"\n") == 1
    assert not (tmp_path / ".launcher" / "values.env").exists()


def test_a_demo_secret_given_with_set_is_refused_without_echoing_it(tmp_path):
    make_stack(tmp_path)
    demo = "your-super-secret-jwt-token-with-at-least-32-characters-long"
    done = launcher(tmp_path, "init", "--non-interactive", "--set", f"JWT_SECRET={demo}")
    assert done.returncode == 2 and b"well-known public demo value" in done.stderr
    assert demo.encode() not in done.stderr
    assert not (tmp_path / ".env").exists()


def test_a_template_comment_with_unicode_line_breaks_does_not_lock_anyone_out(tmp_path):
    make_stack(tmp_path)
    template = tmp_path / "envtemplates" / "stack.env"
    template.write_text("# odd \u2028 \x0b \x0c \x1c \x85 breaks\n" + template.read_text())
    assert launcher(tmp_path, "init", "--non-interactive").returncode == 0
    for command in (["init", "--non-interactive"], ["secrets", "check"], ["plan"]):
        done = launcher(tmp_path, *command)
        assert done.returncode == 0, (command, done.stderr)


def test_folders_created_for_outputs_and_secrets_are_private_whatever_the_umask(tmp_path):
    manifest = make_stack(tmp_path, '\n[secrets.MONGO_KEYFILE]\nkind = "mongo-keyfile"\nlength = 756\n'
                                    'path = "secrets/deep/mongo-keyfile"\n')
    manifest.write_text(manifest.read_text().replace('path = ".env"', 'path = "env/app/stack.env"'))
    done = launcher(tmp_path, "init", "--non-interactive", umask=0)
    assert done.returncode == 0, done.stderr
    for folder in ("env", "env/app", "secrets", "secrets/deep", ".launcher"):
        assert (tmp_path / folder).stat().st_mode & 0o777 == 0o700, folder


# ---------------------------------------------------------------- one writer at a time


def test_a_second_writer_waits_then_gets_the_lock(tmp_path):
    # A second process, not a thread: the lock is re-entrant within one process. The lock is
    # let go only once the second process says it is about to ask for it, so a slow interpreter
    # start on a loaded machine cannot make it arrive after the holder is gone.
    script = ("import sys, time; from pathlib import Path; from wizard.core.support.lock import stack_lock\n"
              "print('asking', flush=True)\n"
              "start = time.monotonic()\n"
              "with stack_lock(Path(sys.argv[1]), 'secrets rotate', wait=10):\n"
              "    print(round(time.monotonic() - start, 1))\n")
    with stack_lock(tmp_path, "init"):
        waiter = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        assert waiter.stdout.readline().strip() == "asking"
        time.sleep(0.5)
    out, err = waiter.communicate(timeout=30)
    assert waiter.returncode == 0, err
    assert float(out) >= 0.2


def test_a_busy_stack_names_who_holds_it_and_exits_13(tmp_path):
    make_stack(tmp_path)
    with stack_lock(tmp_path, "up"):
        holder = read_holder(tmp_path / ".launcher" / "lock")
        assert holder is not None and holder.pid == os.getpid() and holder.action == "up"
        done = launcher(tmp_path, "init", "--non-interactive", env={"LAUNCHER_LOCK_WAIT": "0.3"})
    assert done.returncode == 13
    lines = done.stderr.decode().splitlines()
    assert lines[0] == f"launcher: waiting for `launcher up` (pid {os.getpid()}, since {holder.since}), " \
                       "which is working on this stack…"
    assert lines[1].startswith("launcher: another launcher is working on this stack: `launcher up`")
    assert not (tmp_path / ".env").exists()
    # Released: the next writer goes straight in.
    assert launcher(tmp_path, "init", "--non-interactive").returncode == 0


def test_the_lock_is_reentrant_within_a_process_and_released_after(tmp_path):
    with stack_lock(tmp_path, "up"):
        with stack_lock(tmp_path, "init"):
            pass
        assert read_holder(tmp_path / ".launcher" / "lock").action == "up"
    assert read_holder(tmp_path / ".launcher" / "lock") is None
    with stack_lock(tmp_path, "init", wait=0):
        pass


def test_a_killed_writers_temp_file_is_cleaned_and_a_live_ones_is_kept(tmp_path):
    make_stack(tmp_path)
    assert launcher(tmp_path, "init", "--non-interactive").returncode == 0
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        live = tmp_path / f"..env.{sleeper.pid}.abc.launcher-tmp"
        dead = tmp_path / "..env.999999999.abc.launcher-tmp"
        for temp in (live, dead):
            temp.write_text("SECRET=1\n")
        (tmp_path / "envtemplates" / "stack.env").write_text("# changed\n" + (
            tmp_path / "envtemplates" / "stack.env").read_text())
        assert launcher(tmp_path, "init", "--non-interactive").returncode == 0
        assert live.exists() and not dead.exists()
    finally:
        sleeper.kill()


# ---------------------------------------------------------------- SQL binding


def test_a_value_in_a_literal_is_escaped_whatever_it_holds():
    values = {"URL": "x'); DROP TABLE t; --", "B": "a\\'b"}
    # The literal becomes an escape string, read the same whatever standard_conforming_strings is.
    assert bind_references("SELECT '${URL}/hook';", values) == "SELECT E'x''); DROP TABLE t; --/hook';"
    assert bind_references("SELECT E'${B}\\n';", values) == "SELECT E'a\\\\''b\\n';"
    # The literal's own text keeps its meaning: a plain one's backslash is doubled where it was literal.
    assert bind_references("SELECT 'a\\b${B}';", values) == "SELECT E'a\\\\ba\\\\''b';"
    assert bind_references("SELECT 'a\\\\b${B}';", values, standard_strings=False) == "SELECT E'a\\\\ba\\\\''b';"
    assert bind_references("SELECT DATE'${B}';", values) == "SELECT DATE E'a\\\\''b';"
    # Comments keep what they say; nothing is bound there.
    assert bind_references("-- ${URL}\nSELECT 1 /* ${URL} */;", values) == "-- ${URL}\nSELECT 1 /* ${URL} */;"


@pytest.mark.parametrize("sql, context", [
    ("SELECT ${URL};", "outside a string literal"),
    ('SELECT 1 AS "${URL}";', "inside a quoted identifier"),
    ("CREATE FUNCTION f() RETURNS text AS $$ SELECT '${URL}' $$ LANGUAGE sql;", "dollar-quoted body"),
    ("SELECT 'a' || ${URL};", "outside a string literal"),
    ("SELECT E'\\${URL}';", "right after a backslash escape"),
    ("SELECT U&'${URL}';", "inside a U&'...' literal"),
    ("SELECT N'${URL}';", "inside a N'...' literal"),
])
def test_a_reference_anywhere_else_is_refused(sql, context):
    with pytest.raises(MisplacedReference) as caught:
        bind_references(sql, {"URL": "v"})
    assert context in str(caught.value) and sql[caught.value.offset:].startswith("${URL}")


# ---------------------------------------------------------------- hand-edited newer keys


@pytest.mark.parametrize("kind, value", [("jwks", '[{"kty": "EC", "crv": "P-256", "kid": "k", "d": 1, "x": 2, "y": 3}]'),
                                         ("jwks-public", '{"keys": [1]}'), ("jwt-es256", "eyJhbGciOiJFUzI1NiJ9.e30.x")])
def test_a_malformed_newer_key_is_a_problem_not_a_crash(kind, value):
    from wizard.core.values.secrets import format_problem
    from wizard.core.manifest.stack import SecretSpec

    spec = SecretSpec(name="KEY", kind=kind, signed_with="SIGNER", role="anon")
    signer = '[1]' if kind != "jwks" else "x" * 40
    problem = format_problem(spec, value, {"SIGNER": signer})
    assert problem and value not in problem


def test_any_run_of_eight_characters_of_a_secret_is_masked():
    from wizard.core.support.redact import remember, scrub

    remember(["Zq8vLr2mXw9pKd4tYb7n"])
    assert scrub('Token "Zq8vLr2mX" is invalid') == 'Token "********" is invalid'
    assert scrub("tail d4tYb7n and Lr2mXw9pKd4t here") == "tail d4tYb7n and ******** here"
    assert scrub("short Zq8vLr2 stays") == "short Zq8vLr2 stays"


# ---------------------------------------------------------------- issue 23: the smaller findings


@pytest.mark.parametrize("linked", [".launcher", ".launcher/backups"])
def test_a_state_folder_linked_out_of_the_stack_is_refused_and_nothing_is_written_there(tmp_path, linked):
    stack, outside = tmp_path / "stack", tmp_path / "outside"
    stack.mkdir()
    outside.mkdir()
    make_stack(stack)
    if linked == ".launcher/backups":
        assert launcher(stack, "init", "--non-interactive").returncode == 0
        (stack / ".env").write_text("EDITED=1\n")  # the next init backs the old file up
    (stack / linked).symlink_to(outside)
    done = launcher(stack, "init", "--non-interactive")
    assert done.returncode == 3, done.stderr
    [line] = done.stderr.decode().splitlines()
    assert f"{linked} is a symbolic link" in line
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("given", ["inf", "nan", "-1", "soon"])
def test_a_lock_wait_that_is_not_a_number_of_seconds_is_one_line(tmp_path, given):
    make_stack(tmp_path)
    done = launcher(tmp_path, "init", "--non-interactive", env={"LAUNCHER_LOCK_WAIT": given})
    assert done.returncode == 2
    [line] = done.stderr.decode().splitlines()
    assert f"LAUNCHER_LOCK_WAIT={given!r} is not a number of seconds" in line
    assert not (tmp_path / ".env").exists()


def test_snapshot_folders_given_with_to_are_private_and_killed_saves_leave_nothing(tmp_path):
    from wizard.core.snapshots.manifest import PartWriter

    old = os.umask(0)
    try:
        writer = PartWriter(tmp_path / "a" / "b" / "c")
    finally:
        os.umask(old)
    assert {oct((tmp_path / level).stat().st_mode & 0o777) for level in ("a", "a/b")} == {oct(0o700)}
    # A save killed after it made its temp folder (its pid is gone) leaves one behind; a running one keeps its own.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / "a" / "b" / f".old.partial-0badc0de-{dead.stdout.strip()}"
    (stale / "values.env").parent.mkdir()
    (stale / "values.env").write_text("JWT_SECRET=x\n")
    PartWriter(tmp_path / "a" / "b" / "next")
    assert not stale.exists() and writer.temp.exists()
