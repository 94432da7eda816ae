"""`launcher init` and `launcher secrets` as a new user runs them: the real console script
in a subprocess, on a temp copy of a small stack (tests/fixtures/secrets_stack).

Every run gets a stdin that never delivers anything and never closes, so a command
that waited for input would hit the timeout instead of passing.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import jwt
import pytest
from dotenv import dotenv_values

from wizard.exitcodes import ExitCode

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "secrets_stack"
LAUNCHER = Path(sys.executable).parent / "launcher"
ENV_FILES = [".env", "env/backend.env", "env/web.env"]
WRITTEN = [".launcher/values.env", *ENV_FILES, "secrets/mongo-keyfile", ".gitignore"]
DEMO_JWT_SECRET = "your-super-secret-jwt-token-with-at-least-32-characters-long"

# Runs `launcher` with os.replace turned into a hard crash for one target file:
# the process dies between writing the temp file and renaming it.
CRASH_BEFORE_RENAME = """
import os, sys
real_replace = os.replace
def crash(source, destination, *args, **kwargs):
    if str(destination).endswith(os.environ["CRASH_ON"]):
        os._exit(75)
    return real_replace(source, destination, *args, **kwargs)
os.replace = crash
from wizard.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture
def root(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "stack")
    return tmp_path / "stack"


def run(root: Path, *args: str, env: dict[str, str] | None = None, program: list[str] | None = None,
        ) -> subprocess.CompletedProcess:
    """Run the launcher in ``root`` with a stdin that stays open and silent."""
    assert LAUNCHER.exists(), f"console script missing: {LAUNCHER}"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LAUNCHER_") and k != "CI"}
    environ.update(env or {})
    read_end, write_end = os.pipe()
    try:
        process = subprocess.Popen(program or [str(LAUNCHER), *args], cwd=root, env=environ, stdin=read_end,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        os.close(read_end)
        os.close(write_end)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root with its content; the empty lock file (.launcher/lock) is not content."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.relative_to(root) != Path(".launcher/lock")}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def stored(root: Path) -> dict[str, str]:
    return dotenv_values(root / ".launcher/values.env")


def test_fresh_init_writes_every_env_file_with_verifiable_keys(root):
    result = run(root, "init", "--non-interactive")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    for name in WRITTEN:
        assert (root / name).is_file(), name
    for name in [".launcher/values.env", *ENV_FILES]:
        assert mode(root / name) == 0o600, name
    assert mode(root / "secrets/mongo-keyfile") == 0o400

    env = dotenv_values(root / ".env")
    secret = env["JWT_SECRET"]
    assert len(secret) >= 32
    anon = jwt.decode(env["ANON_KEY"], secret, algorithms=["HS256"], issuer="supabase")
    service = jwt.decode(env["SERVICE_ROLE_KEY"], secret, algorithms=["HS256"], issuer="supabase")
    assert (anon["role"], service["role"]) == ("anon", "service_role")
    assert service["exp"] > service["iat"]
    # One value, three files, three key names.
    assert dotenv_values(root / "env/backend.env")["SUPABASE_ANON_KEY"] == env["ANON_KEY"]
    assert dotenv_values(root / "env/web.env")["NEXT_PUBLIC_SUPABASE_ANON_KEY"] == env["ANON_KEY"]
    assert len(env["SECRET_KEY_BASE"]) == 64 and len(env["VAULT_ENC_KEY"]) == 32
    assert len(env["REALTIME_SECRET"]) == 16
    ignored = (root / ".gitignore").read_text().splitlines()
    assert {"/.env", "/env/backend.env", "/env/web.env", "/secrets/mongo-keyfile", "/.launcher/"} <= set(ignored)


def test_second_run_is_byte_identical_and_hand_added_key_survives(root):
    assert run(root, "init", "--non-interactive").returncode == 0
    first = snapshot(root)
    second_run = run(root, "init", "--non-interactive")
    assert second_run.returncode == 0
    assert snapshot(root) == first
    assert "created" not in second_run.stdout and "updated" not in second_run.stdout

    backend = root / "env/backend.env"
    backend.write_text(backend.read_text() + "SENTRY_DSN=https://key@sentry.example/1\n")
    template = root / "envtemplates/backend.env"
    template.write_text(template.read_text() + "REALTIME_SECRET=${REALTIME_SECRET}\n")
    third = run(root, "init", "--non-interactive")
    assert third.returncode == 0, third.stderr
    merged = dotenv_values(backend)
    assert merged["SENTRY_DSN"] == "https://key@sentry.example/1"
    assert merged["REALTIME_SECRET"] == stored(root)["REALTIME_SECRET"]
    assert merged["SUPABASE_ANON_KEY"] == dotenv_values(root / ".env")["ANON_KEY"]  # not regenerated
    assert mode(backend) == 0o600
    assert "backup .launcher/backups/env/backend.env." in third.stdout
    assert snapshot(root)[".env"] == first[".env"]


def test_crash_between_write_and_rename_leaves_old_file_whole(root):
    assert run(root, "init", "--non-interactive").returncode == 0
    before = (root / "env/backend.env").read_bytes()
    crashed = run(root, program=[sys.executable, "-c", CRASH_BEFORE_RENAME, "init", "--set", "LOG_LEVEL=debug"],
                  env={"CRASH_ON": "env/backend.env", "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert crashed.returncode == 75
    assert (root / "env/backend.env").read_bytes() == before
    assert dotenv_values(root / "env/backend.env")["LOG_LEVEL"] == "info"
    leftovers = [p.name for p in (root / "env").iterdir() if p.name.endswith(".launcher-tmp")]
    assert leftovers  # the crash really happened after the temp file was written

    # The store was written first, so the next run finishes the job and cleans up.
    again = run(root, "init", "--non-interactive")
    assert again.returncode == 0, again.stderr
    assert dotenv_values(root / "env/backend.env")["LOG_LEVEL"] == "debug"
    assert not [p for p in (root / "env").iterdir() if p.name.endswith(".launcher-tmp")]


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("launcher: ")
    return lines[0]


def test_bad_inputs_give_one_line_distinct_codes_and_write_nothing(root):
    pristine = snapshot(root)
    codes = {}

    template = root / "envtemplates/web.env"
    good_template = template.read_text()
    template.write_text(good_template + "BROKEN=${ANON_KYE}\n")
    result = run(root, "init", "--non-interactive")
    line = one_line_error(result)
    assert "envtemplates/web.env:4" in line and "ANON_KYE" in line and "ANON_KEY" in line
    codes["template"] = result.returncode
    template.write_text(good_template)
    assert snapshot(root) == pristine

    result = run(root, "init", "--non-interactive", "--set", "POSTGRES_PORT=99999")
    line = one_line_error(result)
    assert "POSTGRES_PORT" in line
    codes["set"] = result.returncode
    assert snapshot(root) == pristine

    (root / ".env").write_text("POSTGRES_PORT=1\nthis line is broken\n")
    pristine_with_env = snapshot(root)
    result = run(root, "init", "--non-interactive")
    line = one_line_error(result)
    assert ".env:2" in line
    codes["env_file"] = result.returncode
    assert snapshot(root) == pristine_with_env
    (root / ".env").unlink()

    manifest = root / "stack.toml"
    manifest.write_text(manifest.read_text() + '\n[settings.SITE_DOMAIN]\nkind = "host"\n')
    result = run(root, "init", "--non-interactive")
    line = one_line_error(result)
    assert "--set SITE_DOMAIN=VALUE" in line and "LAUNCHER_SITE_DOMAIN" in line
    codes["missing"] = result.returncode
    assert run(root, "init", env={"LAUNCHER_SITE_DOMAIN": "app.test"}).returncode == 0

    assert codes == {"template": ExitCode.CONFIG, "set": ExitCode.USAGE, "env_file": ExitCode.ENV_FILE,
                     "missing": ExitCode.ANSWER_MISSING}


def test_demo_secrets_fail_the_check_until_rotated(root):
    # Given as an answer, a demo secret is refused at once (init never writes what check rejects)...
    refused_answer = run(root, "init", env={"LAUNCHER_JWT_SECRET": DEMO_JWT_SECRET})
    assert refused_answer.returncode == ExitCode.USAGE
    assert "well-known public demo value" in refused_answer.stderr and DEMO_JWT_SECRET not in refused_answer.stderr
    # ...but a hand-made .env holding one is adopted, so the check and rotation must handle it.
    (root / ".env").write_text(f"JWT_SECRET={DEMO_JWT_SECRET}\n")
    result = run(root, "init")
    assert result.returncode == 0, result.stderr
    check = run(root, "secrets", "check", "--json")
    assert check.returncode == ExitCode.SECRETS
    report = json.loads(check.stdout)
    assert {p["name"] for p in report["problems"] if p["demo"]} == {"JWT_SECRET", "ANON_KEY", "SERVICE_ROLE_KEY"}
    old_anon = stored(root)["ANON_KEY"]

    refused = run(root, "secrets", "rotate", "JWT_SECRET")
    assert refused.returncode == ExitCode.CANCELLED
    assert stored(root)["JWT_SECRET"] == DEMO_JWT_SECRET

    rotated = run(root, "secrets", "rotate", "JWT_SECRET", "--yes")
    assert rotated.returncode == 0, rotated.stderr
    assert "re-signed ANON_KEY, SERVICE_ROLE_KEY" in rotated.stdout
    assert "restart: db/rest, app/backend, app/web" in rotated.stdout
    env = dotenv_values(root / ".env")
    assert env["JWT_SECRET"] != DEMO_JWT_SECRET
    assert jwt.decode(env["ANON_KEY"], env["JWT_SECRET"], algorithms=["HS256"])["role"] == "anon"
    assert jwt.decode(dotenv_values(root / "env/web.env")["NEXT_PUBLIC_SUPABASE_ANON_KEY"], env["JWT_SECRET"],
                      algorithms=["HS256"])["role"] == "anon"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(old_anon, env["JWT_SECRET"], algorithms=["HS256"])
    assert run(root, "secrets", "check").returncode == 0


def test_check_notices_an_env_file_edited_by_hand(root):
    assert run(root, "init").returncode == 0
    web = root / "env/web.env"
    web.write_text(web.read_text().replace("NEXT_PUBLIC_SUPABASE_ANON_KEY=", "NEXT_PUBLIC_SUPABASE_ANON_KEY=x"))
    check = run(root, "secrets", "check")
    assert check.returncode == ExitCode.SECRETS
    assert "env/web.env: differs for NEXT_PUBLIC_SUPABASE_ANON_KEY" in check.stdout


def test_secrets_commands_before_init_say_run_init(root):
    result = run(root, "secrets", "show")
    assert "run `launcher init`" in one_line_error(result)
    assert result.returncode == ExitCode.PREFLIGHT


def test_no_secret_value_appears_in_any_output(root):
    outputs = []

    def collect(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        result = run(root, *args, env=env)
        outputs.append((args, result.stdout + result.stderr))
        return result

    collect("init", "--non-interactive")
    collect("init", "--non-interactive", "--json")
    collect("init", "--dry-run", "--set", "LOG_LEVEL=debug")
    collect("secrets", "show")
    collect("secrets", "show", "--json")
    collect("secrets", "check")
    collect("secrets", "check", "--json")
    collect("plan")
    collect("plan", "--json")
    collect("init", "--set", "VAULT_ENC_KEY=NotHexAtAllButSecret0123456789ab")
    collect("init", "--set", "JWT_SECRT=aTypoedNameWithASecretValue0123")
    collect("init", "--set", "aLoneSecretValueWithoutName0123")
    collect("init", env={"LAUNCHER_JWT_SECRET": "tooShortSecretValue"})
    collect("secrets", "rotate", "VAULT_ENC_KEY", "--yes", "--json")
    collect("secrets", "rotate", "JWT_SECRET", "--yes")
    collect("secrets", "show")
    collect("secrets", "check")

    values = dict(stored(root))
    backups = root / ".launcher" / "backups"
    for backup in backups.rglob("values.env.*"):
        values.update({f"old {k}": v for k, v in dotenv_values(backup).items()})
    secret_names = {"POSTGRES_PASSWORD", "JWT_SECRET", "ANON_KEY", "SERVICE_ROLE_KEY", "SECRET_KEY_BASE",
                    "VAULT_ENC_KEY", "REALTIME_SECRET", "MONGO_KEYFILE"}
    secret_values = {v for k, v in values.items() if k.removeprefix("old ") in secret_names}
    secret_values |= {"NotHexAtAllButSecret0123456789ab", "aTypoedNameWithASecretValue0123",
                      "aLoneSecretValueWithoutName0123", "tooShortSecretValue"}
    assert len(secret_values) >= 12  # current and rotated-away values, plus the bad answers
    for args, text in outputs:
        for value in secret_values:
            assert value not in text, f"a secret value leaked in the output of {args}"

    # The test itself can fail: --reveal does print them.
    revealed = run(root, "secrets", "show", "--reveal").stdout
    assert stored(root)["JWT_SECRET"] in revealed


# Values a newer version of the stack declares (as the bundled stack gained the new API keys).
NEWER_SECRETS = """
[secrets.PUBLISHABLE_KEY]
kind = "token"
length = 40

[secrets.AUTHENTICATED_KEY]
kind = "jwt"
signed_with = "JWT_SECRET"
role = "authenticated"
issuer = "supabase"

[settings.NEW_KEYS_ON]
kind = "bool"
default = true
"""


def test_init_on_a_stack_initialised_earlier_adds_only_the_new_values_and_names_them(root):
    first = run(root, "init", "--non-interactive")
    assert first.returncode == 0 and not [line for line in first.stdout.splitlines() if line.startswith("added")]
    before_values = (root / ".launcher/values.env").read_text().splitlines()
    before_env = (root / ".env").read_text().splitlines()
    before = snapshot(root)
    (root / "stack.toml").write_text((root / "stack.toml").read_text() + NEWER_SECRETS)
    template = root / "envtemplates/stack.env"
    template.write_text(template.read_text() + "PUBLISHABLE_KEY=${PUBLISHABLE_KEY}\n"
                        "AUTHENTICATED_KEY=${AUTHENTICATED_KEY}\nNEW_KEYS_ON=${NEW_KEYS_ON}\n")

    result = run(root, "init", "--non-interactive")

    assert result.returncode == 0, result.stderr
    added = [line for line in result.stdout.splitlines() if line.startswith("added")]
    assert added == ["added (declared since the last init; existing values kept): "
                     "NEW_KEYS_ON, PUBLISHABLE_KEY, AUTHENTICATED_KEY"], result.stdout
    # Every earlier line of the store and of .env is still there byte for byte: no secret regenerated.
    after_values = (root / ".launcher/values.env").read_text().splitlines()
    after_env = (root / ".env").read_text().splitlines()
    assert [line for line in after_values if line in before_values] == before_values
    assert [line for line in after_env if line in before_env] == before_env
    for unchanged in ("env/backend.env", "env/web.env", "secrets/mongo-keyfile"):
        assert snapshot(root)[unchanged] == before[unchanged], unchanged
    values = stored(root)
    assert len(values["PUBLISHABLE_KEY"]) == 40 and values["NEW_KEYS_ON"] == "true"
    claims = jwt.decode(values["AUTHENTICATED_KEY"], values["JWT_SECRET"], algorithms=["HS256"], issuer="supabase")
    assert claims["role"] == "authenticated"
    for name in ("PUBLISHABLE_KEY", "AUTHENTICATED_KEY"):
        assert values[name] not in result.stdout + result.stderr
    assert run(root, "secrets", "check").returncode == 0

    # JSON names them too; and once added, a value is no longer new.
    (root / "stack.toml").write_text((root / "stack.toml").read_text() + '\n[secrets.WEBHOOK_SECRET]\nkind = "hex"\n'
                                     'length = 32\n')
    as_json = run(root, "init", "--non-interactive", "--json")
    assert as_json.returncode == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    assert document["added"] == ["WEBHOOK_SECRET"] and document["origins"]["WEBHOOK_SECRET"] == "generated"
    assert stored(root)["WEBHOOK_SECRET"] not in as_json.stdout
    again = run(root, "init", "--non-interactive")
    assert "added" not in again.stdout


def test_init_moves_a_setting_left_at_an_earlier_default_to_todays_and_keeps_a_chosen_one(root):
    manifest = root / "stack.toml"
    assert run(root, "init", "--non-interactive").returncode == 0
    assert stored(root)["API_EXTERNAL_URL"] == "http://localhost:8800"
    # A newer version of the stack: the URL's default gained a path, the switch's default flipped.
    text = manifest.read_text()
    text = text.replace('default = "http://localhost:8800"',
                        'default = "http://localhost:8800/auth/v1"\nformer_defaults = ["http://localhost:8800"]', 1)
    text = text.replace("[settings.ENABLE_SIGNUP]\nkind = \"bool\"\ndefault = true",
                        "[settings.ENABLE_SIGNUP]\nkind = \"bool\"\ndefault = false\nformer_defaults = [true]")
    manifest.write_text(text)
    secrets_before = {name: value for name, value in stored(root).items() if "SECRET" in name or "KEY" in name}

    result = run(root, "init", "--non-interactive", "--set", "ENABLE_SIGNUP=true")

    assert result.returncode == 0, result.stderr
    values = stored(root)
    assert values["API_EXTERNAL_URL"] == "http://localhost:8800/auth/v1"
    assert values["ENABLE_SIGNUP"] == "true"  # answered now: the user's choice, whatever the defaults were
    moved = [line for line in result.stdout.splitlines() if line.startswith("moved to today's default")]
    assert moved and moved[0].endswith(": API_EXTERNAL_URL"), result.stdout
    assert {name: values[name] for name in secrets_before} == secrets_before
    # A value chosen since is kept: only an earlier default moves.
    assert run(root, "init", "--non-interactive", "--set", "API_EXTERNAL_URL=https://api.example.test").returncode == 0
    again = run(root, "init", "--non-interactive", "--json")
    assert json.loads(again.stdout)["updated"] == [] and stored(root)["API_EXTERNAL_URL"] == "https://api.example.test"
