"""The database half of `rotate --apply`, on the host PostgreSQL: quoting, all-or-nothing, fallbacks."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from wizard.core.lifecycle.rotation import RotationIncomplete, change_role_passwords

pytestmark = pytest.mark.integration

# A quote, a backslash, a semicolon and a comment marker: any splicing would break or run them.
NEW_PASSWORD = "n'ew\\pw; --\"x"


@pytest.fixture
def roles(pg_admin_dsn):
    """Two login roles whose names need identifier quoting; dropped afterwards."""
    names = [f'lt "odd" {uuid.uuid4().hex[:8]}', f"lt-{uuid.uuid4().hex[:8]}"]
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        for name in names:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEROLE PASSWORD {}").format(
                sql.Identifier(name), sql.Literal("old-pw")))
    yield names
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        for name in names:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def dsn(admin: str, role: str, password: str) -> str:
    return make_conninfo(admin, user=role, password=password, dbname="postgres")


def logs_in(admin: str, role: str, password: str) -> bool:
    try:
        with psycopg.connect(dsn(admin, role, password), connect_timeout=5):
            return True
    except psycopg.OperationalError:
        return False


def test_every_role_gets_the_new_password_bound_as_a_literal(pg_admin_dsn, roles):
    used, first = change_role_passwords([dsn(pg_admin_dsn, roles[0], "old-pw")], roles, NEW_PASSWORD)
    assert first and roles[0] in used
    for role in roles:
        assert logs_in(pg_admin_dsn, role, NEW_PASSWORD)
        assert not logs_in(pg_admin_dsn, role, "old-pw")


def test_a_missing_role_changes_nothing(pg_admin_dsn, roles):
    with pytest.raises(RotationIncomplete, match="do not exist"):
        change_role_passwords([dsn(pg_admin_dsn, roles[0], "old-pw")], [*roles, "lt_no_such_role"], NEW_PASSWORD)
    assert all(logs_in(pg_admin_dsn, role, "old-pw") for role in roles)


def test_a_rerun_tries_the_new_value_first_then_the_old(pg_admin_dsn, roles):
    new_first = [dsn(pg_admin_dsn, roles[0], NEW_PASSWORD), dsn(pg_admin_dsn, roles[0], "old-pw")]
    _, first = change_role_passwords(new_first, roles, NEW_PASSWORD)
    assert not first  # the server still had the old value: it was used
    _, first = change_role_passwords(new_first, roles, NEW_PASSWORD)
    assert first  # now the new value logs in straight away


def test_neither_value_logging_in_is_one_clear_error_without_the_password(pg_admin_dsn, roles):
    with pytest.raises(RotationIncomplete) as caught:
        change_role_passwords([dsn(pg_admin_dsn, roles[0], "wrong-1"), dsn(pg_admin_dsn, roles[0], "wrong-2")],
                              roles, NEW_PASSWORD)
    assert "accepts neither the old nor the new password" in caught.value.message
    assert "wrong-" not in caught.value.one_line() and NEW_PASSWORD not in caught.value.one_line()
