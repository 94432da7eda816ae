"""Values are data, never code: against the real PostgreSQL server and the real compose binary."""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from dotenv import dotenv_values

from tests.conftest import REPO
from tests.integration.pg_fixtures import query, write_files

pytestmark = pytest.mark.integration

INJECTION = "http://x'); DROP TABLE canary; --"
WEBHOOK_SEED = REPO / "seeds" / "postgres" / "30_webhooks" / "new_user.sql"


def webhook_stack(folder: Path, dsn: str) -> Path:
    """A stack whose seeds are stand-ins for Supabase's pieces plus the bundled webhook seed, as written."""
    (folder / "compose").mkdir(parents=True)
    (folder / "compose" / "db.yml").write_text("services: {}\n")
    (folder / "envtemplates").mkdir()
    (folder / "envtemplates" / "app.env").write_text(
        "WEBHOOK_URL=${STACKEND_INTERNAL_URL}\nWEBHOOK_SECRET=${STACKEND_WEBHOOK_SECRET}\n")
    seeds = folder / "seeds" / "postgres"
    write_files(seeds, {"00_standins/standins.sql": """
        CREATE SCHEMA supabase_functions;
        CREATE FUNCTION supabase_functions.http_request() RETURNS trigger LANGUAGE plpgsql
          AS $$ BEGIN RETURN NEW; END $$;
        CREATE TABLE public.profiles (id int PRIMARY KEY);
    """})
    (seeds / "30_webhooks").mkdir()
    shutil.copy(WEBHOOK_SEED, seeds / "30_webhooks" / "new_user.sql")
    manifest = folder / "stack.toml"
    manifest.write_text(textwrap.dedent(f"""
        [stack]
        name = "datatest"

        [groups.db]
        compose = ["compose/db.yml"]

        [steps.schema]
        kind = "postgres-seeds"
        after = "db"
        dir = "seeds/postgres"
        dsn = "{dsn}"

        [secrets.STACKEND_WEBHOOK_SECRET]
        kind = "token"
        length = 40

        [settings.STACKEND_INTERNAL_URL]
        kind = "url"
        default = "http://stackend:8000"

        [outputs.app]
        template = "envtemplates/app.env"
        path = ".env"
    """).lstrip())
    return manifest


def execute(dsn: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql)


def trigger_arguments(dsn: str) -> list[str]:
    """The arguments the new_user trigger was created with, as the server stores them."""
    raw = query(dsn, "SELECT tgargs FROM pg_trigger WHERE tgname = 'new_user'")[0][0]
    return raw.decode().split("\x00")[:-1]


def test_a_setting_holding_sql_stays_a_string_in_the_bundled_webhook_seed(pg_dsn, tmp_path, run_launcher):
    manifest = webhook_stack(tmp_path, pg_dsn)
    execute(pg_dsn, "CREATE TABLE public.canary (id int)")
    init = run_launcher("init", "--non-interactive", "--stack", str(manifest), "--set",
                        f"STACKEND_INTERNAL_URL={INJECTION}", cwd=tmp_path)
    assert init.returncode == 0, init.stderr

    seeded = run_launcher("seed", "postgres", "--stack", str(manifest), cwd=tmp_path)

    assert seeded.returncode == 0, seeded.stderr
    assert query(pg_dsn, "SELECT to_regclass('public.canary') IS NOT NULL") == [(True,)]
    secret = dotenv_values(tmp_path / ".env")["WEBHOOK_SECRET"]
    url, method, headers, *_ = trigger_arguments(pg_dsn)
    assert url == f"{INJECTION}/webhooks/new_user"
    assert method == "POST"
    assert json.loads(headers)["Authorization"] == f"Bearer {secret}"


def test_a_reference_outside_a_literal_is_refused_with_file_line_before_anything_runs(pg_dsn, tmp_path,
                                                                                     run_launcher):
    manifest = webhook_stack(tmp_path, pg_dsn)
    (tmp_path / "seeds/postgres/20_bad.sql").write_text("SELECT 1;\nSELECT ${STACKEND_INTERNAL_URL};\n")
    assert run_launcher("init", "--non-interactive", "--stack", str(manifest), cwd=tmp_path).returncode == 0

    seeded = run_launcher("seed", "postgres", "--stack", str(manifest), cwd=tmp_path)

    assert seeded.returncode == 10
    assert "seeds/postgres/20_bad.sql:2: ${STACKEND_INTERNAL_URL} outside a string literal" in seeded.stderr
    assert query(pg_dsn, "SELECT to_regclass('public.profiles')") == [(None,)]


def failing_seed_with_the_secret(tmp_path, pg_dsn, run_launcher, cast: str):
    """The webhook stack, initialised, with a seed casting the webhook secret to ``cast``; (manifest, secret)."""
    manifest = webhook_stack(tmp_path, pg_dsn)
    (tmp_path / "seeds/postgres/40_fails.sql").write_text(f"SELECT '${{STACKEND_WEBHOOK_SECRET}}'::{cast};\n")
    assert run_launcher("init", "--non-interactive", "--stack", str(manifest), cwd=tmp_path).returncode == 0
    return manifest, dotenv_values(tmp_path / ".env")["WEBHOOK_SECRET"]


def test_a_failing_seed_never_shows_a_secret_in_the_statement_or_the_server_message(pg_dsn, tmp_path,
                                                                                   run_launcher):
    manifest, secret = failing_seed_with_the_secret(tmp_path, pg_dsn, run_launcher, "int")

    for debug in ({}, {"LAUNCHER_DEBUG": "1"}):
        seeded = run_launcher("seed", "postgres", "--stack", str(manifest), cwd=tmp_path, env=debug)
        assert seeded.returncode == 10
        assert "40_fails.sql:1: invalid input syntax for type integer" in seeded.stderr
        assert "statement: SELECT '${STACKEND_WEBHOOK_SECRET}'::int;" in seeded.stderr
        assert secret not in seeded.stderr + seeded.stdout


def test_a_dsn_password_is_never_printed(tmp_path, run_launcher):
    manifest = webhook_stack(tmp_path, "postgresql://u:x@127.0.0.1:1/db")
    for dsn in ("postgresql://u:S3cret%ZZ@127.0.0.1:1/db", "postgresql://u:S3cretPass@127.0.0.1:1/db",
                "host=127.0.0.1 port=1 user=u password=S3cretPass dbname=db"):
        status = run_launcher("seed", "status", "--stack", str(manifest), "--dsn", dsn, cwd=tmp_path,
                              env={"LAUNCHER_DEBUG": "1"})
        assert status.returncode == 10, status.stderr
        assert "S3cret" not in status.stderr + status.stdout


def test_a_password_with_url_syntax_reaches_postgres_percent_encoded(pg_admin_dsn, pg_dsn, tmp_path, run_launcher):
    """`@`, `/`, `?`, `#` and `:` in a password: the step's DSN still names the right server and user."""
    import uuid

    from psycopg.conninfo import conninfo_to_dict

    role, password = f"lt_role_{uuid.uuid4().hex[:8]}", "p@ss/w:rd?#x"
    execute(pg_admin_dsn, f"CREATE ROLE \"{role}\" LOGIN SUPERUSER PASSWORD '{password}'")
    try:
        database = conninfo_to_dict(pg_dsn)["dbname"]
        manifest = webhook_stack(tmp_path, f"postgresql://{role}:${{DB_PASSWORD}}@127.0.0.1:5432/{database}")
        manifest.write_text(manifest.read_text() + '\n[settings.DB_PASSWORD]\nkind = "string"\n')
        init = run_launcher("init", "--non-interactive", "--stack", str(manifest), "--set",
                            f"DB_PASSWORD={password}", cwd=tmp_path)
        assert init.returncode == 0, init.stderr
        seeded = run_launcher("seed", "postgres", "--stack", str(manifest), cwd=tmp_path)
        assert seeded.returncode == 0, seeded.stderr
        assert query(pg_dsn, "SELECT count(*) FROM launcher.applied_seeds") == [(2,)]
    finally:
        execute(pg_dsn, f'DROP OWNED BY "{role}"')
        execute(pg_admin_dsn, f'DROP ROLE IF EXISTS "{role}"')


# ---------------------------------------------------------------- env files through compose


VALUES = ["abc\\", "a\\b", "it's", 'say "hi"', "$HOME", "$$", "a$b", "a b", " lead", "trail ", "a #b",
          "x=y", "tab\there", "q'\"", "back\\'q", "\\n", "a\\\\b", "é✓", "`cmd`", "{a}", "%", "'", '"',
          "a\u00a0b", "$", "multi\nline"]


def compose_environment(compose_binary: str, folder: Path) -> dict[str, str]:
    done = subprocess.run([compose_binary, "--env-file", ".env", "-f", "compose.yml", "config", "--format", "json"],
                          cwd=folder, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    environment = json.loads(done.stdout)["services"]["probe"]["environment"]
    # `config` prints a compose file, where a literal $ is written $$.
    return {key: value.replace("$$", "$") for key, value in environment.items()}


def test_every_value_round_trips_through_the_store_python_dotenv_and_compose(tmp_path, run_launcher,
                                                                            compose_binary):
    names = [f"V{index}" for index in range(len(VALUES))]
    (tmp_path / "envtemplates").mkdir()
    (tmp_path / "envtemplates" / "stack.env").write_text("".join(f"{name}=${{{name}}}\n" for name in names))
    (tmp_path / "compose.yml").write_text("services:\n  probe:\n    image: x\n    environment:\n" + "".join(
        f"      {name}: ${{{name}}}\n" for name in names))
    (tmp_path / "stack.toml").write_text('[stack]\nname = "roundtrip"\n[groups.g]\ncompose = ["compose.yml"]\n'
                                         '[outputs.stack]\ntemplate = "envtemplates/stack.env"\npath = ".env"\n'
                                         + "".join(f'[settings.{name}]\nkind = "string"\n' for name in names))
    answers = tmp_path / "answers.toml"
    answers.write_text("".join(f"{name} = {json.dumps(value)}\n" for name, value in zip(names, VALUES)))

    init = run_launcher("init", "--non-interactive", "--answers", str(answers), cwd=tmp_path)

    # "multi\nline" is refused for a setting (one line only); everything else is written.
    assert init.returncode == 2 and "V25" in init.stderr and not (tmp_path / ".env").exists()
    answers.write_text("".join(f"{name} = {json.dumps(value)}\n" for name, value in zip(names, VALUES[:-1])))
    (tmp_path / "stack.toml").write_text((tmp_path / "stack.toml").read_text() + 'default = "x"\n')
    init = run_launcher("init", "--non-interactive", "--answers", str(answers), cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    expected = dict(zip(names, VALUES[:-1]))
    expected[names[-1]] = "x"
    assert dotenv_values(tmp_path / ".env") == expected  # python-dotenv, default settings
    assert dotenv_values(tmp_path / ".launcher/values.env") == expected
    assert compose_environment(compose_binary, tmp_path) == expected
    again = run_launcher("init", "--non-interactive", cwd=tmp_path)
    assert again.returncode == 0 and "updated" not in again.stdout, again.stdout


@pytest.mark.parametrize("value", ["it's ${JWT_SECRET}", "${HOME}", "quote ' and $HOME", "a\u2028b", "a\x0bb",
                                   "a\x0cb", "a\x1cb", "a\x85b", "back\\slash $X"])
def test_a_value_no_env_reader_can_carry_is_refused_at_set_time(tmp_path, run_launcher, value):
    (tmp_path / "envtemplates").mkdir()
    (tmp_path / "envtemplates" / "stack.env").write_text("SMTP_PASS=${SMTP_PASS}\n")
    (tmp_path / "compose.yml").write_text("services: {}\n")
    (tmp_path / "stack.toml").write_text('[stack]\nname = "refuse"\n[groups.g]\ncompose = ["compose.yml"]\n'
                                         '[outputs.stack]\ntemplate = "envtemplates/stack.env"\npath = ".env"\n'
                                         '[settings.SMTP_PASS]\nkind = "string"\ndefault = "ok"\n')
    refused = run_launcher("init", "--non-interactive", "--set", f"SMTP_PASS={value}", cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "--set SMTP_PASS" in refused.stderr
    assert not (tmp_path / ".env").exists() and not (tmp_path / ".launcher/values.env").exists()
    fixed = run_launcher("init", "--non-interactive", "--set", "SMTP_PASS=fixed", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stderr
    assert run_launcher("plan", cwd=tmp_path).returncode == 0


def test_a_server_message_quoting_part_of_a_secret_shows_no_run_of_eight_of_its_characters(pg_dsn, tmp_path,
                                                                                           run_launcher):
    # PostgreSQL's JSON error quotes the token it choked on: a piece of the value, not all of it.
    manifest, secret = failing_seed_with_the_secret(tmp_path, pg_dsn, run_launcher, "jsonb")

    seeded = run_launcher("seed", "postgres", "--stack", str(manifest), cwd=tmp_path)
    assert seeded.returncode == 10 and "invalid input syntax for type json" in seeded.stderr, seeded.stderr
    assert len(seeded.stderr.strip().splitlines()) == 1, seeded.stderr  # the statement is on the same line
    shown = seeded.stderr + seeded.stdout
    assert not [secret[i:i + 8] for i in range(len(secret) - 7) if secret[i:i + 8] in shown], shown
