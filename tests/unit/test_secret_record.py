"""The preflight's secrets check skips PyJWT only for inputs it already found clean, and never past an expiry."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from wizard.core.values import secretrecord
from wizard.core.values import secrets
from wizard.core.values.secrets import generate_secret
from wizard.core.manifest.stack import load_stack

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "secrets_stack"


@pytest.fixture
def stack(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("LAUNCHER_NO_CACHE", raising=False)
    shutil.copytree(FIXTURE, tmp_path / "stack")
    return load_stack(tmp_path / "stack" / "stack.toml")


def full_values(stack, now: float | None = None) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in secrets.signing_order(stack):
        values[item.name] = generate_secret(item, values, now=now)
    return values


@pytest.fixture
def calls(monkeypatch):
    """Counts the full checks that run."""
    seen = []
    real = secrets.check_secrets

    def counting(stack, values):
        seen.append(dict(values))
        return real(stack, values)

    monkeypatch.setattr(secrets, "check_secrets", counting)
    return seen


def test_the_same_clean_secrets_are_checked_once(stack, calls):
    values = full_values(stack)
    assert secretrecord.checked_secrets(stack, values) == []
    assert secretrecord.checked_secrets(stack, values) == []
    assert len(calls) == 1


def test_a_rotated_or_edited_secret_is_checked_in_full(stack, calls):
    values = full_values(stack)
    assert secretrecord.checked_secrets(stack, values) == []
    # A new JWT_SECRET: the stored ANON_KEY no longer verifies, and the check says so.
    edited = {**values, "JWT_SECRET": generate_secret(next(s for s in stack.secrets if s.name == "JWT_SECRET"), {})}
    problems = secretrecord.checked_secrets(stack, edited)
    assert len(calls) == 2
    assert any("is not signed with the current JWT_SECRET" in problem.message for problem in problems)
    # Problems are never recorded: the same broken values are checked again.
    secretrecord.checked_secrets(stack, edited)
    assert len(calls) == 3


def test_a_token_near_its_expiry_is_always_checked(stack, calls, monkeypatch):
    values = full_values(stack)
    assert secretrecord.checked_secrets(stack, values) == []
    expiry = secretrecord._earliest_expiry(stack, values)
    monkeypatch.setattr(secretrecord.time, "time", lambda: expiry - secretrecord.MARGIN_SECONDS + 1)
    secretrecord.checked_secrets(stack, values)
    assert len(calls) == 2


def test_an_es256_key_near_its_expiry_is_checked_again(tmp_path, calls, monkeypatch):
    # The bundled stack's ES256 keys (1825 days) expire long before its HS256 ones (3650 days):
    # a record kept until the HS256 expiry would hide the ES256 keys' expiry for five years.
    from tests.conftest import REPO

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("LAUNCHER_NO_CACHE", raising=False)
    bundled = load_stack(REPO / "stack.toml")
    values = full_values(bundled)
    assert secretrecord.checked_secrets(bundled, values) == []
    es256_expiry = min(claims(values[spec.name])["exp"] for spec in bundled.secrets if spec.kind == "jwt-es256")
    assert es256_expiry < min(claims(values[spec.name])["exp"] for spec in bundled.secrets if spec.kind == "jwt")
    monkeypatch.setattr(secretrecord.time, "time", lambda: es256_expiry - secretrecord.MARGIN_SECONDS + 1)
    secretrecord.checked_secrets(bundled, values)
    assert len(calls) == 2


def claims(token: str) -> dict:
    import base64
    import json

    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
