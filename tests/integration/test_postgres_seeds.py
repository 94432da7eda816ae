"""SQL seeds against the real PostgreSQL server: order, tracking, failures, psql parity."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import default_sigint, launcher_command
from tests.integration.pg_fixtures import (  # noqa: F401 - other_pg_dsn is a fixture
    fresh_database,
    other_pg_dsn,
    pg_dump,
    psql_file,
    query,
    write_files,
    write_seed_stack,
)
from wizard.core.support.errors import ConfigError, SeedFailed, UsageError
from wizard.core.support.events import consume
from wizard.core.seeds.postgres.apply import apply_seeds, run_seed_step, seed_status
from wizard.core.seeds.postgres.runfile import SeedStatementFailed
from wizard.core.seeds.steps import NothingToDo

pytestmark = pytest.mark.integration

VALUES = {"STACKEND_INTERNAL_URL": "http://stackend:8000", "SEEDS_FOLDER": "postgres"}

ORDERED = {
    "00_tables/01_log.sql": """
        CREATE TABLE public.log (n serial PRIMARY KEY, file text NOT NULL);
        INSERT INTO public.log (file) VALUES ('00/01');
    """,
    "00_tables/02_users.sql": """
        CREATE TABLE public.users (id int PRIMARY KEY, email text NOT NULL);
        CREATE SCHEMA supabase_functions;
        -- Stand-in for Supabase's webhook function: records the call instead of sending it.
        CREATE TABLE supabase_functions.calls (url text, method text);
        CREATE FUNCTION supabase_functions.http_request() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO supabase_functions.calls VALUES (TG_ARGV[0], TG_ARGV[1]);
          RETURN NEW;
        END;
        $$;
        INSERT INTO public.log (file) VALUES ('00/02');
    """,
    "10_functions/normalize.sql": """
        CREATE FUNCTION public.normalize_email() RETURNS trigger LANGUAGE plpgsql AS $body$
        BEGIN
          NEW.email := lower(NEW.email); -- a semicolon inside the body
          RETURN NEW;
        END;
        $body$;
        INSERT INTO public.log (file) VALUES ('10');
    """,
    "20_triggers/users.sql": """
        CREATE TRIGGER users_normalize BEFORE INSERT ON public.users
          FOR EACH ROW EXECUTE FUNCTION public.normalize_email();
        INSERT INTO public.log (file) VALUES ('20');
    """,
    "30_webhooks/new_user.sql": """
        CREATE TRIGGER new_user_webhook AFTER INSERT ON public.users FOR EACH ROW
          EXECUTE FUNCTION supabase_functions.http_request(
            '${STACKEND_INTERNAL_URL}/webhooks/new_user', 'POST', '{"Content-type":"application/json"}', '{}', '1000');
        INSERT INTO public.log (file) VALUES ('30');
    """,
}


def apply(dsn: str, folder: Path, **options):
    """Run apply_seeds to the end: (outcomes, summary)."""
    outcomes = []
    return outcomes, consume(apply_seeds(dsn, folder, VALUES, **options), outcomes.append)


def recorded(dsn: str) -> list[str]:
    return [row[0] for row in query(dsn, "SELECT path FROM launcher.applied_seeds ORDER BY path")]


def test_ordered_folders_apply_once_and_a_second_run_skips_all(pg_dsn, tmp_path):
    folder = write_files(tmp_path / "seeds", {**ORDERED, "README.md": "not a seed", ".hidden/x.sql": "oops;"})

    outcomes, summary = apply(pg_dsn, folder)

    assert [(o.path, o.action) for o in outcomes] == [(path, "applied") for path in sorted(ORDERED)]
    assert summary == "5 applied"
    assert [row[0] for row in query(pg_dsn, "SELECT file FROM public.log ORDER BY n")] == \
        ["00/01", "00/02", "10", "20", "30"]
    query(pg_dsn, "INSERT INTO public.users VALUES (1, 'Ann@Example.COM') RETURNING id")
    assert query(pg_dsn, "SELECT email FROM public.users") == [("ann@example.com",)]
    assert query(pg_dsn, "SELECT url, method FROM supabase_functions.calls") == \
        [("http://stackend:8000/webhooks/new_user", "POST")]
    rows = query(pg_dsn, "SELECT path, sha256, applied_at IS NOT NULL, duration >= interval '0' "
                         "FROM launcher.applied_seeds ORDER BY path")
    assert [(path, ok1, ok2) for path, _sha, ok1, ok2 in rows] == [(path, True, True) for path in sorted(ORDERED)]
    assert all(len(sha) == 64 for _path, sha, _a, _b in rows)

    again, summary = apply(pg_dsn, folder)
    assert [o.action for o in again] == ["skipped"] * 5
    assert summary == "nothing to apply: 5 file(s) already applied"
    assert query(pg_dsn, "SELECT count(*) FROM public.log") == [(5,)]


def test_a_broken_file_rolls_back_whole_names_file_line_and_stops(pg_dsn, tmp_path):
    folder = write_files(tmp_path / "seeds", {
        "00_tables/ok.sql": "CREATE TABLE public.ok (id int);\n",
        "10_functions/broken.sql": """
            CREATE TABLE public.half (id int);
            INSERT INTO public.half VALUES (1);
            INSERT INTO public.missing
              VALUES (2);
        """,
        "20_triggers/later.sql": "CREATE TABLE public.later (id int);\n",
    })

    with pytest.raises(SeedStatementFailed) as caught:
        apply(pg_dsn, folder)

    error = caught.value
    assert error.where.endswith("10_functions/broken.sql:3")
    assert 'relation "public.missing" does not exist' in error.message
    assert error.statement == "INSERT INTO public.missing VALUES (2);"
    assert any("statement: INSERT INTO public.missing" in line for line in error.lines())
    assert query(pg_dsn, "SELECT to_regclass('public.half'), to_regclass('public.later')") == [(None, None)]
    assert recorded(pg_dsn) == ["00_tables/ok.sql"]


def test_error_line_points_inside_a_multi_line_statement(pg_dsn, tmp_path):
    folder = write_files(tmp_path / "seeds", {"a.sql": "SELECT 1;\nCREATE TABLE t (\n  id int,\n  bad nosuchtype\n);\n"})
    with pytest.raises(SeedStatementFailed) as caught:
        apply(pg_dsn, folder)
    assert caught.value.where.endswith("a.sql:4")
    assert 'type "nosuchtype" does not exist' in caught.value.message


def test_bad_copy_data_reports_the_data_line(pg_dsn, tmp_path):
    folder = write_files(tmp_path / "seeds", {"a.sql": "CREATE TABLE t (id int);\nCOPY t (id) FROM stdin;\n1\n2\n"
                                                      "three\n\\.\n"})
    with pytest.raises(SeedStatementFailed) as caught:
        apply(pg_dsn, folder)
    assert caught.value.where.endswith("a.sql:5")
    assert "invalid input syntax for type integer" in caught.value.message
    assert query(pg_dsn, "SELECT to_regclass('public.t')") == [(None,)]


def test_a_changed_file_is_refused_until_reapplied(pg_dsn, tmp_path):
    folder = write_files(tmp_path / "seeds", {"00/a.sql": "CREATE TABLE public.a (id int);\n",
                                              "10/b.sql": "CREATE TABLE public.b (id int);\n"})
    apply(pg_dsn, folder)
    (folder / "00/a.sql").write_text("CREATE TABLE IF NOT EXISTS public.a (id int);\nINSERT INTO public.a VALUES (7);\n")
    (folder / "20.sql").write_text("CREATE TABLE public.c (id int);\n")

    with pytest.raises(SeedFailed) as caught:
        apply(pg_dsn, folder)
    assert "changed since it was applied" in caught.value.message
    assert "--reapply 00/a.sql" in caught.value.hint
    assert caught.value.where.endswith("00/a.sql")
    # Refused before anything ran: the new file 20.sql did not run either.
    assert query(pg_dsn, "SELECT to_regclass('public.c')") == [(None,)]
    assert [state.state for state in seed_status(pg_dsn, folder)] == ["changed", "applied", "pending"]

    outcomes, _ = apply(pg_dsn, folder, reapply=[str(folder / "00/a.sql")])
    assert [(o.path, o.action) for o in outcomes] == [("00/a.sql", "reapplied"), ("10/b.sql", "skipped"),
                                                      ("20.sql", "applied")]
    assert query(pg_dsn, "SELECT id FROM public.a") == [(7,)]
    assert [state.state for state in seed_status(pg_dsn, folder)] == ["applied"] * 3


def test_reapply_of_an_unknown_path_is_a_usage_error(pg_dsn, tmp_path):
    folder = write_files(tmp_path / "seeds", {"a.sql": "SELECT 1;\n"})
    with pytest.raises(UsageError):
        apply(pg_dsn, folder, reapply=["nope.sql"])


def test_unknown_name_fails_before_anything_runs(pg_dsn, tmp_path):
    folder = write_files(tmp_path / "seeds", {"00.sql": "CREATE TABLE public.first (id int);\n",
                                              "10.sql": "SELECT 1;\nSELECT '${STACKEND_INTERNAL_URL}/${NOPE}';\n"})
    with pytest.raises(ConfigError) as caught:
        apply(pg_dsn, folder)
    assert caught.value.where.endswith("10.sql:2")
    assert "${NOPE}" in caught.value.message
    assert query(pg_dsn, "SELECT to_regclass('public.first'), to_regnamespace('launcher')") == [(None, None)]


def test_unsupported_meta_command_is_refused_before_anything_runs(pg_dsn, tmp_path):
    folder = write_files(tmp_path / "seeds", {"00.sql": "CREATE TABLE public.first (id int);\n",
                                              "10.sql": "\\restrict abc\nSELECT 1;\n\\connect other\n"})
    with pytest.raises(SeedFailed) as caught:
        apply(pg_dsn, folder)
    assert caught.value.where.endswith("10.sql:3")
    assert "\\connect" in caught.value.message
    assert query(pg_dsn, "SELECT to_regclass('public.first')") == [(None,)]


def test_begin_commit_in_a_file_keep_it_one_transaction_and_rollback_is_refused(pg_dsn, tmp_path):
    folder = write_files(tmp_path / "seeds", {"a.sql": "BEGIN;\nCREATE TABLE public.a (id int);\nCOMMIT;\n"
                                                       "CREATE TABLE public.a (id int);\n"})
    with pytest.raises(SeedStatementFailed):
        apply(pg_dsn, folder)
    # psql -1 would have kept public.a after the file's own COMMIT; the seed rolls back whole.
    assert query(pg_dsn, "SELECT to_regclass('public.a')") == [(None,)]

    (folder / "a.sql").write_text("CREATE TABLE public.a (id int);\nROLLBACK;\n")
    with pytest.raises(SeedFailed) as caught:
        apply(pg_dsn, folder)
    assert caught.value.where.endswith("a.sql:2")


def test_dry_run_changes_nothing(pg_dsn, tmp_path):
    folder = write_files(tmp_path / "seeds", ORDERED)
    outcomes, summary = apply(pg_dsn, folder, dry_run=True)
    assert {o.action for o in outcomes} == {"would-apply"}
    assert summary == "5 would apply"
    assert query(pg_dsn, "SELECT to_regnamespace('launcher'), to_regclass('public.log')") == [(None, None)]


def test_a_file_that_changes_role_and_search_path_is_still_recorded(pg_dsn, tmp_path):
    folder = write_files(tmp_path / "seeds", {"a.sql": """
        SELECT pg_catalog.set_config('search_path', '', false);
        SET ROLE pg_read_all_data;
        SELECT 1;
    """})
    apply(pg_dsn, folder)
    assert recorded(pg_dsn) == ["a.sql"]


def test_run_seed_step_yields_progress_and_returns_a_summary(pg_dsn, tmp_path):
    from wizard.core.support.events import StepProgress
    from wizard.core.manifest.stack import load_stack

    stack = load_stack(write_seed_stack(tmp_path, pg_dsn))
    write_files(tmp_path / "seeds" / "postgres", ORDERED)
    step = stack.steps[0]

    events = []
    running = run_seed_step(stack, step, VALUES)
    with pytest.raises(StopIteration) as done:
        while True:
            events.append(next(running))
    assert all(isinstance(event, StepProgress) and event.step == "postgres-schema" for event in events)
    assert [event.message.split(":")[0] for event in events] == sorted(ORDERED)
    assert done.value.value == "5 applied"

    assert not isinstance(done.value.value, NothingToDo)

    second = run_seed_step(stack, step, VALUES)
    with pytest.raises(StopIteration) as again:
        while True:
            assert "already applied" in next(second).message
    assert isinstance(again.value.value, NothingToDo)  # StepFinished.skipped


def test_cli_failure_exit_code_and_status_json(pg_dsn, tmp_path, run_launcher):
    manifest = write_seed_stack(tmp_path, pg_dsn)
    write_files(tmp_path / "seeds" / "postgres", {"00/a.sql": "CREATE TABLE public.a (id int);\n",
                                                  "10/b.sql": "SELECT 1;\nSELECT nosuchcolumn FROM public.a;\n"})

    failed = run_launcher("seed", "postgres", "--stack", str(manifest), "--dsn", pg_dsn, cwd=tmp_path)
    assert failed.returncode == 10, failed.stderr
    assert "seeds/postgres/10/b.sql:2: column \"nosuchcolumn\" does not exist" in failed.stderr
    assert "statement: SELECT nosuchcolumn FROM public.a;" in failed.stderr
    assert "launcher-test" not in failed.stderr + failed.stdout

    status = run_launcher("seed", "status", "--json", "--stack", str(manifest), "--dsn", pg_dsn, cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    states = {entry["path"]: entry["state"] for entry in json.loads(status.stdout)["files"]}
    assert states == {"00/a.sql": "applied", "10/b.sql": "pending"}

    (tmp_path / "seeds/postgres/10/b.sql").write_text("SELECT id FROM public.a;\n")
    ok = run_launcher("seed", "postgres", "--json", "--stack", str(manifest), "--dsn", pg_dsn, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    lines = [json.loads(line) for line in ok.stdout.splitlines()]
    assert [(line.get("path"), line.get("action")) for line in lines[:-1]] == [("00/a.sql", "skipped"),
                                                                              ("10/b.sql", "applied")]
    assert lines[-1]["summary"] == "1 applied, 1 unchanged"


def test_ctrl_c_mid_file_leaves_no_record_and_no_partial_change(pg_dsn, tmp_path):
    manifest = write_seed_stack(tmp_path, pg_dsn)
    write_files(tmp_path / "seeds" / "postgres", {"slow.sql": "CREATE TABLE public.partial (id int);\n"
                                                              "SELECT pg_sleep(60);\n"})
    process = subprocess.Popen([*launcher_command(), "seed", "postgres", "--stack", str(manifest), "--dsn", pg_dsn],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=default_sigint)
    try:
        deadline = time.monotonic() + 30
        # Statements may reach the server several in one query: look for it anywhere in one.
        while not query(pg_dsn, "SELECT 1 FROM pg_stat_activity WHERE position('SELECT pg_sleep(60)' IN query) > 0 "
                                "AND datname = current_database() AND pid <> pg_backend_pid()"):
            assert time.monotonic() < deadline and process.poll() is None, "the seed never started"
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    assert query(pg_dsn, "SELECT to_regclass('public.partial')") == [(None,)]
    assert recorded(pg_dsn) == []


# ---------------------------------------------------------------- parity with psql -1 -f

SOURCE_DATABASE = r"""
CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN public.email AS text CHECK (VALUE ~ '@');
CREATE TABLE public.people (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    mail public.email,
    mood public.mood DEFAULT 'ok',
    note text DEFAULT E'tab\there; semi',
    tags text[],
    data jsonb,
    created timestamptz DEFAULT now()
);
COMMENT ON TABLE public.people IS 'people; with a semicolon and ''quotes''';
CREATE TABLE public."Odd Name" ("Weird;Col" text, "quote""d" int);
INSERT INTO public."Odd Name" VALUES ('a;b', 1), (NULL, 2);
INSERT INTO public.people (name, mail, mood, note, tags, data) VALUES
    ('Ann', 'ann@x.org', 'happy', E'multi\nline\\back', ARRAY['a;b', 'c"d'], '{"k": "v;w", "n": [1, 2]}'),
    ('Bob', NULL, 'sad', 'it''s $$ dollar', NULL, NULL),
    ('Émile ☃', 'e@x.org', NULL, E'\\.', '{}', 'null'),
    ('Tab	Char', 'tab@x.org', 'ok', '\N literally', ARRAY[NULL, 'x'], '[]');
CREATE FUNCTION public.shout(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
    result text;
BEGIN
    result := upper(t) || '!'; -- semicolons; everywhere;
    RETURN result;
END;
$fn$;
CREATE FUNCTION public.add(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
    SELECT CASE WHEN a IS NULL THEN b ELSE a + b END;
END;
CREATE VIEW public.loud AS SELECT id, public.shout(name) AS name FROM public.people;
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.created := now(); RETURN NEW; END;
$$;
CREATE TRIGGER people_touch BEFORE UPDATE ON public.people FOR EACH ROW EXECUTE FUNCTION public.touch();
CREATE INDEX people_lower_name ON public.people (lower(name));
CREATE RULE people_log AS ON DELETE TO public.people DO ALSO (SELECT 1; SELECT 2);
CREATE SEQUENCE public.invoice_no START 1000;
SELECT setval('public.invoice_no', 1042);
CREATE MATERIALIZED VIEW public.counts AS SELECT count(*) AS n FROM public.people;
ALTER TABLE public.people ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON public.people USING (name = current_user);
"""


def test_a_pg_dump_file_gives_the_same_database_as_psql(pg_admin_dsn, pg_dsn, other_pg_dsn, tmp_path):
    from wizard.core.seeds.postgres.splitter import Statement, split_script

    with fresh_database(pg_admin_dsn) as source:
        with_source = psql_inline(source, SOURCE_DATABASE)
        assert with_source.returncode == 0, with_source.stderr
        dump = subprocess.run(["pg_dump", "--format=plain", "-d", source], capture_output=True, text=True,
                              check=True).stdout
    assert "COPY public.people" in dump and "\\restrict" in dump
    statements = [item for item in split_script(dump) if isinstance(item, Statement)]
    assert sum(item.copy_data is not None for item in statements) == 2

    with_psql_reference = tmp_path / "reference"
    with_psql_reference.mkdir()
    (with_psql_reference / "dump.sql").write_text(dump)
    folder = write_files(tmp_path / "seeds", {"00_full/dump.sql": dump})

    reference = psql_file(other_pg_dsn, with_psql_reference / "dump.sql")
    assert reference.returncode == 0, reference.stderr
    outcomes, _ = apply(pg_dsn, folder)
    assert [o.action for o in outcomes] == ["applied"]

    # The same catalog and the same rows: pg_dump of both is identical ...
    assert pg_dump(pg_dsn) == pg_dump(other_pg_dsn)
    # ... and, asked directly, so are the rows and the sequence position.
    for sql in ('SELECT * FROM public.people ORDER BY id', 'SELECT * FROM public."Odd Name" ORDER BY 2',
                "SELECT last_value FROM public.invoice_no", "SELECT public.shout('hi'), public.add(2, 3)",
                "SELECT n FROM public.counts"):
        assert query(pg_dsn, sql) == query(other_pg_dsn, sql)
    assert query(pg_dsn, "SELECT note FROM public.people WHERE name = 'Ann'") == [("multi\nline\\back",)]


def psql_inline(dsn: str, sql: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn], input=sql,
                          capture_output=True, text=True, timeout=60)


def test_pg_dump_file_error_parity_both_reject_the_same_broken_dump(pg_dsn, other_pg_dsn, tmp_path):
    broken = "CREATE TABLE public.t (id int);\nCOPY public.t (id) FROM stdin;\n1\nx\n\\.\n"
    (tmp_path / "broken.sql").write_text(broken)
    reference = psql_file(other_pg_dsn, tmp_path / "broken.sql")
    assert reference.returncode != 0
    folder = write_files(tmp_path / "seeds", {"broken.sql": broken})
    with pytest.raises(SeedStatementFailed):
        apply(pg_dsn, folder)
    assert query(pg_dsn, "SELECT to_regclass('public.t')") == query(other_pg_dsn, "SELECT to_regclass('public.t')") \
        == [(None,)]


if os.environ.get("CI") and not shutil.which("psql"):  # pragma: no cover - the bed provides it
    pytest.fail("psql is not installed: run tests/testbed/provision", pytrace=False)


def test_session_settings_of_one_file_do_not_leak_into_the_next(pg_dsn, tmp_path):
    folder = write_files(tmp_path / "seeds", {
        "a.sql": "SELECT pg_catalog.set_config('search_path', '', false);\nCREATE TEMP TABLE scratch (id int);\n",
        "b.sql": "CREATE TABLE unqualified (id int);\nCREATE TEMP TABLE scratch (id int);\n",
    })
    outcomes, _ = apply(pg_dsn, folder)
    assert [o.action for o in outcomes] == ["applied", "applied"]
    assert query(pg_dsn, "SELECT to_regclass('public.unqualified')::text") == [("unqualified",)]


def test_a_role_that_may_not_create_the_tracking_schema_gets_a_seed_failure(pg_dsn, tmp_path):
    import uuid

    import psycopg
    from psycopg.conninfo import make_conninfo

    # Roles are cluster-wide; a fresh role may connect but (PostgreSQL 15) not create schemas.
    role = f"seeder_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'seeder-pass'")
    try:
        folder = write_files(tmp_path / "seeds", {"00_tables/a.sql": "CREATE TABLE a (id int);"})
        with pytest.raises(SeedFailed) as caught:
            apply(make_conninfo(pg_dsn, user=role, password="seeder-pass"), folder)
        assert "refused the seed bookkeeping" in caught.value.one_line()
        assert "seeder-pass" not in caught.value.one_line()
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}; DROP ROLE {role}")
