"""stack.toml: where a secret lives (`apply`, `roles`) and what the newer key kinds need."""

from __future__ import annotations

import pytest

from tests.unit.manifest_factory import write_stack
from wizard.core.support.errors import ConfigError
from wizard.core.manifest.stack import load_stack

BASE = """
    [stack]
    name = "demo"

    [groups.db]
    compose = ["compose/db.yml"]

    [steps.schema]
    kind = "postgres-seeds"
    after = "db"
    dsn = "postgresql://postgres:${PW}@127.0.0.1:5432/postgres"
    dir = "seeds"

    [steps.rs]
    kind = "mongo-replica-set"
    after = "db"
    uri = "mongodb://x"
    member_host = "m:27017"

    [secrets.JWT_SECRET]
    kind = "token"
    length = 40
"""


def problems(tmp_path, extra: str) -> list[str]:
    manifest = write_stack(tmp_path, BASE + extra, compose=("compose/db.yml",))
    with pytest.raises(ConfigError) as caught:
        load_stack(manifest)
    return caught.value.lines()


def test_apply_and_roles_are_parsed(tmp_path):
    manifest = write_stack(tmp_path, BASE + """
    [secrets.PW]
    kind = "password"
    length = 24
    apply = "schema"
    roles = ["postgres", "authenticator"]
    """, compose=("compose/db.yml",))
    spec = load_stack(manifest).secret("PW")
    assert (spec.apply, spec.roles) == ("schema", ("postgres", "authenticator"))


@pytest.mark.parametrize("extra,expected", [
    ('apply = "nope"\n    roles = ["postgres"]', "applies through unknown step 'nope'"),
    ('apply = "rs"\n    roles = ["postgres"]', "rs is a mongo-replica-set step"),
    ('apply = "schema"', "names no roles"),
    ('roles = ["postgres"]', "lists roles but no apply step"),
])
def test_bad_apply_declarations_name_the_line(tmp_path, extra, expected):
    lines = problems(tmp_path, f"""
    [secrets.PW]
    kind = "password"
    length = 24
    {extra}
    """)
    assert any(expected in line and "stack.toml:" in line for line in lines), lines


@pytest.mark.parametrize("extra,expected", [
    ('[secrets.K]\n    kind = "api-key"', "needs a prefix"),
    ('[secrets.K]\n    kind = "api-key"\n    prefix = "SB-"', "needs a prefix"),
    ('[secrets.K]\n    kind = "jwks"', "needs signed_with naming a token"),
    ('[secrets.K]\n    kind = "jwks-public"\n    signed_with = "JWT_SECRET"', "naming a jwks secret"),
    ('[secrets.P]\n    kind = "jwks"\n    signed_with = "JWT_SECRET"\n\n    [secrets.K]\n    kind = "jwt-es256"\n'
     '    signed_with = "P"', "needs a role claim"),
])
def test_new_kinds_say_what_they_need(tmp_path, extra, expected):
    assert any(expected in line for line in problems(tmp_path, "\n    " + extra + "\n")), expected


def test_bundled_postgres_password_declares_its_home():
    spec = load_stack("stack.toml").secret("POSTGRES_PASSWORD")
    assert spec.apply == "postgres-schema" and "authenticator" in spec.roles and "postgres" in spec.roles
