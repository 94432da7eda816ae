"""A value bound into a seed can never end its literal, whatever standard_conforming_strings is.

Each case turns the setting off in a way the binder cannot see in the text (the database's
default, SET LOCAL, `= false`, set_config) and binds a value built to close a literal under
backslash-escape rules; the canary table must survive and the value be stored exactly.
The psql cases compare the launcher with `psql -1 -f` on files that change the setting.
"""

from __future__ import annotations

import pytest

from tests.integration.pg_fixtures import (  # noqa: F401 - other_pg_dsn is a fixture
    other_pg_dsn,
    pg_dump,
    psql_file,
    query,
    write_files,
)
from wizard.core.support.events import consume
from wizard.core.seeds.postgres.apply import apply_seeds

pytestmark = pytest.mark.integration

EVIL = "\\'); DROP TABLE canary; --"
TRICKY = ["\\", "\\\\'", "'", "a\\'b", "$$", "$x$", "E'\\''", "\\x27", "x\n'; --"]

TURN_OFF = {
    "set-local": "SET LOCAL standard_conforming_strings = off;",
    "equals-false": "SET standard_conforming_strings = false;",
    "set-config": "SELECT set_config('standard_conforming_strings', 'off', false);",
    "set-config-local": "SELECT set_config('standard_conforming_strings', 'off', true);",
    "set-to-zero-batched": "SET standard_conforming_strings TO 0;",
}


def _seed(tmp_path, dsn, text: str, values: dict[str, str]):
    folder = write_files(tmp_path / "seeds", {"00.sql": text})
    return consume(apply_seeds(dsn, folder, values))


@pytest.mark.parametrize("how", sorted(TURN_OFF))
def test_a_value_cannot_end_its_literal_when_the_seed_turns_the_setting_off(pg_dsn, tmp_path, how):
    values = {"EVIL": EVIL, **{f"T{i}": v for i, v in enumerate(TRICKY)}}
    rows = "\n".join(f"INSERT INTO t VALUES ({i}, '${{T{i}}}');" for i in range(len(TRICKY)))
    _seed(tmp_path, pg_dsn, f"""
        CREATE TABLE canary (n int);
        CREATE TABLE t (n int, v text);
        {TURN_OFF[how]}
        COPY canary FROM stdin;
        1
        \\.
        INSERT INTO t VALUES (-1, '${{EVIL}}');
        INSERT INTO t VALUES (-2, E'${{EVIL}}');
        {rows}
    """.replace("\n        ", "\n"), values)
    assert query(pg_dsn, "SELECT to_regclass('canary') IS NOT NULL") == [(True,)]
    stored = dict(query(pg_dsn, "SELECT n, v FROM t"))
    assert stored == {-1: EVIL, -2: EVIL, **{i: v for i, v in enumerate(TRICKY)}}


def test_a_value_cannot_end_its_literal_when_the_database_default_is_off(pg_admin_dsn, pg_dsn, tmp_path):
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    name = conninfo_to_dict(pg_dsn)["dbname"]
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" SET standard_conforming_strings = off')
    _seed(tmp_path, pg_dsn, """
        CREATE TABLE canary (n int);
        CREATE TABLE t (v text, w text);
        INSERT INTO t VALUES ('${EVIL}', 'it\\'s');
    """, {"EVIL": EVIL})
    assert query(pg_dsn, "SELECT to_regclass('canary') IS NOT NULL") == [(True,)]
    # The file's own literal is read as the server reads it: with backslash escapes.
    assert query(pg_dsn, "SELECT v, w FROM t") == [(EVIL, "it's")]


PSQL_FILES = {
    "set-off": """
        CREATE TABLE t (n int, v text);
        SET standard_conforming_strings = off;
        INSERT INTO t VALUES (1, 'a\\\\b');
        INSERT INTO t VALUES (2, 'it\\'s; still one literal');
        SET standard_conforming_strings = on;
        INSERT INTO t VALUES (3, 'a\\\\b');
    """,
    "set-local-false": """
        CREATE TABLE t (n int, v text);
        SET LOCAL standard_conforming_strings = false;
        INSERT INTO t VALUES (1, 'a\\\\b');
        INSERT INTO t VALUES (2, 'it\\'s; still one literal');
    """,
    "set-config": """
        CREATE TABLE t (n int, v text);
        SELECT set_config('standard_conforming_strings', 'off', false);
        INSERT INTO t VALUES (1, 'a\\\\b');
        INSERT INTO t VALUES (2, 'it\\'s; still one literal');
        RESET standard_conforming_strings;
        INSERT INTO t VALUES (3, 'a\\\\b');
    """,
}


@pytest.mark.parametrize("case", sorted(PSQL_FILES))
def test_statements_see_the_setting_as_psql_does(pg_dsn, other_pg_dsn, tmp_path, case):
    text = PSQL_FILES[case].replace("\n        ", "\n").lstrip()
    _seed(tmp_path, pg_dsn, text, {})
    (tmp_path / "ref.sql").write_text(text)
    reference = psql_file(other_pg_dsn, tmp_path / "ref.sql")
    assert reference.returncode == 0, reference.stderr
    ours = query(pg_dsn, "SELECT n, v FROM t ORDER BY n")
    assert ours == query(other_pg_dsn, "SELECT n, v FROM t ORDER BY n")
    assert ours[0] == (1, "a\\b")
