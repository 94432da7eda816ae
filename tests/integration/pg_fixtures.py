"""Shared helpers for the Postgres seed tests: extra fresh databases, psql and pg_dump runs.

`pg_dsn` / `pg_admin_dsn` come from tests/conftest.py (fail in CI, skip elsewhere when
the server is missing); this module adds what only the seed tests need.
"""

from __future__ import annotations

import re
import subprocess
import textwrap
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def fresh_database(admin_dsn: str):
    """A new empty database on the test server, dropped afterwards; yields its DSN."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    name = f"lt_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_conninfo(admin_dsn, dbname=name)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def other_pg_dsn(pg_admin_dsn):
    """A second fresh database, for comparing two ways of building the same thing."""
    with fresh_database(pg_admin_dsn) as dsn:
        yield dsn


def psql_file(dsn: str, path: Path) -> subprocess.CompletedProcess[str]:
    """The reference: `psql -v ON_ERROR_STOP=1 -1 -f FILE`, as the issue defines the behaviour."""
    return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f", str(path), "-d", dsn],
                          capture_output=True, text=True, timeout=300)


def pg_dump(dsn: str, *flags: str) -> str:
    """pg_dump output without the launcher's own schema and without the random \\restrict keys."""
    done = subprocess.run(["pg_dump", "--exclude-schema=launcher", *flags, "-d", dsn],
                          capture_output=True, text=True, timeout=300, check=True)
    return re.sub(r"^\\(un)?restrict .*$", "", done.stdout, flags=re.MULTILINE)


def query(dsn: str, sql: str, params=None) -> list[tuple]:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Write {relative path: SQL} under root (dedented); return root."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


def write_seed_stack(folder: Path, dsn: str) -> Path:
    """A minimal stack.toml with one postgres-seeds step on dsn and seeds in seeds/postgres."""
    (folder / "compose").mkdir(parents=True, exist_ok=True)
    (folder / "compose" / "db.yml").write_text("services: {}\n")
    (folder / "seeds" / "postgres").mkdir(parents=True, exist_ok=True)
    manifest = folder / "stack.toml"
    manifest.write_text(textwrap.dedent(f"""
        [stack]
        name = "seedtest"

        [groups.db]
        compose = ["compose/db.yml"]

        [steps.postgres-schema]
        kind = "postgres-seeds"
        after = "db"
        dir = "seeds/${{SEEDS_FOLDER}}"
        dsn = "{dsn}"

        [settings.SEEDS_FOLDER]
        default = "postgres"

        [settings.STACKEND_INTERNAL_URL]
        kind = "url"
        default = "http://stackend:8000"
    """).lstrip())
    return manifest
