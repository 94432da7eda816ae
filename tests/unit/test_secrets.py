"""Secret generators, format checks, demo detection, rotation sets, masking."""

from __future__ import annotations

import base64
import shutil
import string
import time
from pathlib import Path
from urllib.parse import urlsplit

import jwt
import pytest

from wizard.core.values import secrets
from wizard.core.values.secrets import (
    DEMO_JWT_SECRETS,
    DEMO_VALUES,
    SecretProblem,
    check_secrets,
    format_problem,
    generate_secret,
    is_demo,
    rotation_set,
    services_to_restart,
)
from wizard.core.manifest.stack import SecretSpec, load_stack
from wizard.core.support.redact import mask

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "secrets_stack"


@pytest.fixture
def stack(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "stack")
    return load_stack(tmp_path / "stack" / "stack.toml")


def spec(kind: str, length: int = 0, **extra) -> SecretSpec:
    return SecretSpec(name=extra.pop("name", "S"), kind=kind, length=length, **extra)


def full_values(stack) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in secrets.signing_order(stack):
        values[item.name] = generate_secret(item, values)
    return values


# -- generators ----------------------------------------------------------------------


@pytest.mark.parametrize("length", [8, 32, 50])
def test_token_has_exact_length_and_url_safe_alphabet(length):
    value = generate_secret(spec("token", length), {})
    assert len(value) == length
    assert set(value) <= set(string.ascii_letters + string.digits + "-_")


@pytest.mark.parametrize("length", [16, 32])
def test_password_survives_a_postgres_url_raw(length):
    value = generate_secret(spec("password", length), {})
    assert len(value) == length
    assert set(value) <= set(string.ascii_letters + string.digits + "-._~")
    # Pasted raw into a URL, the password reads back unchanged.
    assert urlsplit(f"postgresql://postgres:{value}@db:5432/postgres").password == value


@pytest.mark.parametrize("length", [15, 16, 32])
def test_hex_has_exact_length(length):
    value = generate_secret(spec("hex", length), {})
    assert len(value) == length
    int(value, 16)


def test_base64_has_exact_length_and_alphabet():
    value = generate_secret(spec("base64", 64), {})
    assert len(value) == 64
    assert set(value) <= set(string.ascii_letters + string.digits + "+/")
    assert len(base64.b64decode(value)) == 48  # 64 characters without padding are 48 bytes


@pytest.mark.parametrize("length", [6, 756, 1024])
def test_mongo_keyfile_is_base64_within_mongo_limits(length):
    value = generate_secret(spec("mongo-keyfile", length), {})
    assert len(value) == length
    assert set(value) <= set(string.ascii_letters + string.digits + "+/")


def test_generated_values_differ_each_time():
    assert generate_secret(spec("token", 32), {}) != generate_secret(spec("token", 32), {})


def test_jwt_is_hs256_with_role_iss_iat_exp_signed_by_its_signer():
    signer = "k" * 40
    token = generate_secret(spec("jwt", signed_with="JWT_SECRET", role="anon", issuer="supabase",
                                 expires_days=10), {"JWT_SECRET": signer}, now=1_700_000_000)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, signer, algorithms=["HS256"], options={"verify_exp": False})
    assert claims == {"role": "anon", "iss": "supabase", "iat": 1_700_000_000, "exp": 1_700_000_000 + 10 * 86400}
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "x" * 40, algorithms=["HS256"], options={"verify_exp": False})


def test_every_generated_value_of_the_fixture_passes_the_check(stack):
    assert check_secrets(stack, full_values(stack)) == []


# -- checks -------------------------------------------------------------------------


@pytest.mark.parametrize("kind,length,value,expected", [
    ("hex", 32, "ab" * 15, "exactly 32"),
    ("hex", 16, "zz" * 8, "hex alphabet"),
    ("base64", 64, "A" * 63, "exactly 64"),
    ("base64", 8, "AAAA AAA", "base64 alphabet"),
    ("token", 32, "a" * 31, "at least 32"),
    ("token", 8, "abc$defgh", "alphabet"),
    ("password", 8, "pass@word", "alphabet"),
    ("mongo-keyfile", 756, "abc", "6 to 1024"),
    ("mongo-keyfile", 6, "abc!def", "base64 alphabet"),
    ("token", 8, "", "no value"),
])
def test_format_problems_are_named_without_the_value(kind, length, value, expected):
    message = format_problem(spec(kind, length), value, {})
    assert expected in message
    if len(value) >= 3:
        assert value not in message


def test_keyfile_whitespace_is_ignored_as_mongo_does():
    assert format_problem(spec("mongo-keyfile", 8), "abcd\nefgh\n", {}) == ""


def test_signing_secret_must_be_at_least_32_characters():
    assert "at least 32" in format_problem(spec("token", 8), "a" * 31, {}, signs_jwt=True)
    assert format_problem(spec("token", 8), "a" * 32, {}, signs_jwt=True) == ""


def jwt_spec(**extra) -> SecretSpec:
    return spec("jwt", name="ANON_KEY", signed_with="JWT_SECRET", role="anon", issuer="supabase",
                **extra)


@pytest.mark.parametrize("claims,key,expected", [
    ({"role": "anon", "iss": "supabase"}, "other" * 8, "not signed with the current JWT_SECRET"),
    ({"role": "service_role", "iss": "supabase"}, "k" * 40, "expected 'anon'"),
    ({"role": "anon", "iss": "elsewhere"}, "k" * 40, "expected 'supabase'"),
])
def test_jwt_check_verifies_signature_role_and_issuer(claims, key, expected):
    now = int(time.time())
    token = jwt.encode({**claims, "iat": now, "exp": now + 60}, key, algorithm="HS256")
    message = format_problem(jwt_spec(), token, {"JWT_SECRET": "k" * 40})
    assert expected in message
    assert token not in message and "k" * 40 not in message


def test_jwt_check_reports_expiry_and_garbage():
    now = int(time.time())
    expired = jwt.encode({"role": "anon", "iat": now - 100, "exp": now - 10}, "k" * 40, algorithm="HS256")
    assert "expired" in format_problem(jwt_spec(), expired, {"JWT_SECRET": "k" * 40})
    assert "not a valid HS256 JWT" in format_problem(jwt_spec(), "not-a-jwt", {"JWT_SECRET": "k" * 40})


def test_jwt_check_passes_a_freshly_signed_key():
    token = generate_secret(jwt_spec(expires_days=1), {"JWT_SECRET": "k" * 40})
    assert format_problem(jwt_spec(), token, {"JWT_SECRET": "k" * 40}) == ""


# -- demo values ------------------------------------------------------------------------


def test_demo_values_include_the_published_samples():
    for value in ("your-super-secret-jwt-token-with-at-least-32-characters-long",
                  "super-secret-jwt-token-with-at-least-32-characters-long",
                  "this_password_is_insecure_and_should_be_updated"):
        assert value in DEMO_VALUES


def test_published_demo_jwts_are_reproduced_exactly():
    # Each published demo key verifies with a demo secret: the strings are the real ones.
    tokens = [value for value in DEMO_VALUES if value.startswith("eyJ")]
    assert len(tokens) == 4
    roles = []
    for token in tokens:
        verified = []
        for secret in DEMO_JWT_SECRETS:
            try:
                verified.append(jwt.decode(token, secret, algorithms=["HS256"], options={"verify_exp": False}))
            except jwt.InvalidSignatureError:
                pass
        assert len(verified) == 1
        roles.append(verified[0]["role"])
    assert sorted(roles) == ["anon", "anon", "service_role", "service_role"]


def test_any_jwt_signed_with_a_demo_secret_counts_as_demo():
    token = jwt.encode({"role": "anon", "iat": 1, "exp": 2},
                       "your-super-secret-jwt-token-with-at-least-32-characters-long", algorithm="HS256")
    assert token not in DEMO_VALUES
    assert is_demo(token)
    assert not is_demo(jwt.encode({"role": "anon"}, "a-private-secret-of-at-least-32-chars!!", algorithm="HS256"))


def test_check_flags_demo_values_as_demo_without_showing_them(stack):
    values = full_values(stack)
    demo_secret = "your-super-secret-jwt-token-with-at-least-32-characters-long"
    values["JWT_SECRET"] = demo_secret
    for name in ("ANON_KEY", "SERVICE_ROLE_KEY"):
        values[name] = generate_secret(stack.secret(name), values)
    values["POSTGRES_PASSWORD"] = "this_password_is_insecure_and_should_be_updated"
    problems = check_secrets(stack, values)
    assert {p.name for p in problems} == {"JWT_SECRET", "ANON_KEY", "SERVICE_ROLE_KEY", "POSTGRES_PASSWORD"}
    assert all(p.demo for p in problems)
    for problem in problems:
        assert values[problem.name] not in problem.message


def test_check_reports_a_key_signed_with_an_old_secret(stack):
    values = full_values(stack)
    values["JWT_SECRET"] = generate_secret(stack.secret("JWT_SECRET"), {})
    problems = check_secrets(stack, values)
    assert [(p.name, p.demo) for p in problems] == [("ANON_KEY", False), ("SERVICE_ROLE_KEY", False)]
    assert all(isinstance(p, SecretProblem) and "JWT_SECRET" in p.message for p in problems)


def test_check_reports_missing_values(stack):
    values = full_values(stack)
    del values["VAULT_ENC_KEY"]
    assert [(p.name, p.message) for p in check_secrets(stack, values)] == [("VAULT_ENC_KEY", "has no value")]


# -- rotation and display ------------------------------------------------------------------


def test_rotation_set_includes_derived_jwts_signer_first(stack):
    assert rotation_set(stack, ["JWT_SECRET"]) == ["JWT_SECRET", "ANON_KEY", "SERVICE_ROLE_KEY"]
    assert rotation_set(stack, ["ANON_KEY"]) == ["ANON_KEY"]
    assert rotation_set(stack, ["VAULT_ENC_KEY"]) == ["VAULT_ENC_KEY"]


def test_services_to_restart_follow_names_and_env_files(stack):
    env = stack.root / "env"
    assert services_to_restart(stack, {"JWT_SECRET"}, [env / "backend.env"]) == ["db/rest", "app/backend"]
    assert services_to_restart(stack, {"VAULT_ENC_KEY"}, []) == ["db/vault"]
    assert services_to_restart(stack, set(), [env / "web.env"]) == ["app/web"]
    assert services_to_restart(stack, {"NOT_USED"}, []) == []


def test_mask_reveals_no_character():
    value = "abcdefghijklmnop"
    masked = mask(value)
    assert not set(masked) & set(value)
    assert mask("") == "(empty)"
