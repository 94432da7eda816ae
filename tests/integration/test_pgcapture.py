"""`seed capture`: a real database's schema into ordered files that apply cleanly elsewhere."""

from __future__ import annotations

import pytest

from tests.integration.pg_fixtures import (  # noqa: F401 - other_pg_dsn is a fixture
    fresh_database,
    other_pg_dsn,
    pg_dump,
    psql_file,
    query,
    write_files,
    write_seed_stack,
)
from wizard.core.support.errors import SeedFailed, UsageError
from wizard.core.seeds.postgres.capture import capture
from wizard.core.seeds.postgres.apply import apply_seeds

pytestmark = pytest.mark.integration

# A Supabase-shaped database: auth and supabase_functions are the platform's, public is the app's.
PLATFORM = r"""
CREATE SCHEMA supabase_functions;
CREATE FUNCTION supabase_functions.http_request() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE SCHEMA auth;
CREATE TABLE auth.users (id uuid PRIMARY KEY);
"""
APP = r"""
CREATE TYPE public.plan AS ENUM ('free', 'pro');
CREATE TABLE public.profiles (
    id uuid PRIMARY KEY REFERENCES auth.users,
    name text DEFAULT 'x;y',
    plan public.plan DEFAULT 'free',
    updated timestamptz
);
COMMENT ON TABLE public.profiles IS 'one per user; created by a trigger';
CREATE FUNCTION public.is_admin() RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT true $$;
CREATE VIEW public.admins AS SELECT * FROM public.profiles WHERE public.is_admin();
CREATE VIEW public.admin_names AS SELECT name FROM public.admins;
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY admins_only ON public.profiles USING (public.is_admin());
CREATE FUNCTION public.handle_new_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  INSERT INTO public.profiles (id) VALUES (NEW.id);
  RETURN NEW;
END $$;
CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users
  FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated := now(); RETURN NEW; END $$;
CREATE TRIGGER profiles_touch BEFORE UPDATE ON public.profiles FOR EACH ROW EXECUTE FUNCTION public.touch();
CREATE TRIGGER profile_webhook AFTER INSERT ON public.profiles FOR EACH ROW EXECUTE FUNCTION
  supabase_functions.http_request('http://stackend:8000/webhooks/new_user', 'POST', '{}', '{}', '1000');
CREATE FUNCTION public.add(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE BEGIN ATOMIC SELECT a + b; END;
CREATE SEQUENCE public.invoice_no;
GRANT SELECT ON public.profiles TO PUBLIC;
"""


def run_sql(dsn: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql)


def apply_all(dsn, folder):
    return list(apply_seeds(dsn, folder, {}))


def test_capture_round_trips_a_schema_into_files_that_apply_cleanly_elsewhere(pg_dsn, other_pg_dsn, tmp_path):
    run_sql(pg_dsn, PLATFORM)
    run_sql(pg_dsn, APP)
    run_sql(other_pg_dsn, PLATFORM)  # the target has the platform's schemas, not the app's
    out = tmp_path / "seeds"

    written = capture(pg_dsn, out)

    assert [path.relative_to(out).as_posix() for path in written] == [
        "00_tables/schema.sql", "10_functions/functions.sql", "20_triggers/triggers.sql", "30_webhooks/webhooks.sql"]
    tables, functions, triggers, webhooks = (path.read_text() for path in written)
    assert "CREATE TABLE public.profiles" in tables and "CREATE FUNCTION" not in tables
    assert "CREATE FUNCTION public.is_admin()" in functions
    # Uses of a function come after it, transitively (admin_names uses admins uses is_admin).
    assert functions.index("CREATE VIEW public.admins ") < functions.index("CREATE VIEW public.admin_names")
    assert "CREATE POLICY admins_only" in functions
    assert "on_auth_user_created AFTER INSERT ON auth.users" in triggers
    assert "profiles_touch" in triggers and "profile_webhook" not in triggers
    assert "supabase_functions.http_request('http://stackend:8000/webhooks/new_user'" in webhooks
    assert "launcher-test" not in tables + functions + triggers + webhooks
    assert "\\restrict" not in tables

    outcomes = apply_all(other_pg_dsn, out)
    assert [o.action for o in outcomes] == ["applied"] * 4
    public = ("--schema-only", "--schema=public")
    assert pg_dump(other_pg_dsn, *public) == pg_dump(pg_dsn, *public)
    trigger_sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1"
    assert query(other_pg_dsn, trigger_sql) == query(pg_dsn, trigger_sql)
    # And the behaviour came along: a new auth user gets a profile through the captured trigger.
    run_sql(other_pg_dsn, "INSERT INTO auth.users VALUES ('00000000-0000-0000-0000-000000000001')")
    assert query(other_pg_dsn, "SELECT plan::text FROM public.profiles") == [("free",)]


def test_capture_refuses_to_overwrite_without_yes_and_replaces_with_it(pg_dsn, tmp_path):
    run_sql(pg_dsn, "CREATE TABLE public.t (id int);")
    out = tmp_path / "seeds"
    first = capture(pg_dsn, out)
    assert [p.parent.name for p in first] == ["00_tables"]
    with pytest.raises(UsageError) as caught:
        capture(pg_dsn, out)
    assert "--yes" in caught.value.hint
    run_sql(pg_dsn, "CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 1';")
    second = capture(pg_dsn, out, overwrite=True)
    assert [p.parent.name for p in second] == ["00_tables", "10_functions"]


def test_capture_of_an_unreachable_server_never_shows_the_password(tmp_path):
    with pytest.raises(SeedFailed) as caught:
        capture("postgresql://postgres:sup3r-secret@127.0.0.1:1/nodb", tmp_path / "seeds")
    assert "sup3r-secret" not in " ".join(caught.value.lines())
    assert not (tmp_path / "seeds").exists()


def test_cli_capture_reads_the_url_from_stdin_and_writes_the_step_dir(pg_dsn, other_pg_dsn, tmp_path, run_launcher):
    run_sql(pg_dsn, "CREATE TABLE public.things (id int PRIMARY KEY);")
    manifest = write_seed_stack(tmp_path, other_pg_dsn)

    done = run_launcher("seed", "capture", "--from", "-", "--stack", str(manifest), cwd=tmp_path, input=pg_dsn + "\n")

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("seeds/postgres/00_tables/schema.sql")
    assert "launcher-test" not in done.stdout + done.stderr
    applied = run_launcher("seed", "postgres", "--stack", str(manifest), "--dsn", other_pg_dsn, cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert query(other_pg_dsn, "SELECT to_regclass('public.things')::text") == [("things",)]
