"""The newer Supabase keys, each format checked independently of the generator.

Opaque keys: the checksum is recomputed here from the published rule. The JWKS pair
and the ES256 JWTs are read back with PyJWT and `cryptography` only: the private key
is rebuilt from its JWK, the public keys come from JWT_JWKS, signatures verify.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from wizard.core.values.secrets import check_secrets, generate_secret, rotation_set
from wizard.core.manifest.stack import load_stack
from wizard.core.values.resolution import resolve_values

STACK = load_stack("stack.toml")
NEW = ["JWT_KEYS", "JWT_JWKS", "ANON_KEY_ASYMMETRIC", "SERVICE_ROLE_KEY_ASYMMETRIC", "SUPABASE_PUBLISHABLE_KEY",
       "SUPABASE_SECRET_KEY"]


@pytest.fixture(scope="module")
def values() -> dict[str, str]:
    return resolve_values(STACK, {}, {}).values


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.mark.parametrize("name,prefix", [("SUPABASE_PUBLISHABLE_KEY", "sb_publishable_"),
                                         ("SUPABASE_SECRET_KEY", "sb_secret_")])
def test_opaque_key_shape_and_recomputed_checksum(values, name, prefix):
    key = values[name]
    match = re.fullmatch(re.escape(prefix) + r"([A-Za-z0-9_-]{22})_([A-Za-z0-9_-]{8})", key)
    assert match, "prefix + 22 base64url characters + _ + 8-character checksum"
    digest = hashlib.sha256(("supabase-self-hosted|" + prefix + match.group(1)).encode()).digest()
    assert match.group(2) == base64.urlsafe_b64encode(digest).decode().rstrip("=")[:8]


def test_two_generated_keys_differ(values):
    spec = STACK.secret("SUPABASE_SECRET_KEY")
    assert generate_secret(spec, values) != generate_secret(spec, values)


def test_private_jwks_holds_a_p256_key_matching_its_public_half_and_the_hs256_secret(values):
    keys = json.loads(values["JWT_KEYS"])
    assert isinstance(keys, list)
    ec_key = next(key for key in keys if key["kty"] == "EC")
    assert ec_key["crv"] == "P-256" and ec_key["alg"] == "ES256" and ec_key["kid"]
    private = ec.derive_private_key(int.from_bytes(b64url_decode(ec_key["d"]), "big"), ec.SECP256R1())
    public = private.public_key().public_numbers()
    assert public.x == int.from_bytes(b64url_decode(ec_key["x"]), "big")
    assert public.y == int.from_bytes(b64url_decode(ec_key["y"]), "big")
    oct_key = next(key for key in keys if key["kty"] == "oct")
    assert b64url_decode(oct_key["k"]).decode() == values["JWT_SECRET"]

    document = json.loads(values["JWT_JWKS"])
    assert all("d" not in key for key in document["keys"])
    public_ec = next(key for key in document["keys"] if key["kty"] == "EC")
    assert (public_ec["kid"], public_ec["x"], public_ec["y"]) == (ec_key["kid"], ec_key["x"], ec_key["y"])
    assert oct_key in document["keys"]


@pytest.mark.parametrize("name,role", [("ANON_KEY_ASYMMETRIC", "anon"), ("SERVICE_ROLE_KEY_ASYMMETRIC", "service_role")])
def test_es256_jwts_verify_against_the_public_jwks(values, name, role):
    token = values[name]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "ES256"
    jwks = jwt.PyJWKSet.from_dict(json.loads(values["JWT_JWKS"]))
    key = next(k for k in jwks.keys if k.key_id == header["kid"])
    claims = jwt.decode(token, key.key, algorithms=["ES256"])
    assert claims["role"] == role and claims["iss"] == "supabase"
    assert claims["iat"] <= time.time() < claims["exp"]
    assert claims["exp"] - claims["iat"] == 1825 * 86400
    # The legacy HS256 keys still verify with the oct key of the same JWKS.
    oct_key = next(k for k in jwks.keys if k.key_type == "oct")
    legacy = jwt.decode(values["ANON_KEY"], oct_key.key, algorithms=["HS256"])
    assert legacy["role"] == "anon"


def test_every_generated_value_passes_check(values):
    assert check_secrets(STACK, values) == []


def corrupt_checksum(key: str) -> str:
    return key[:-1] + ("A" if key[-1] != "A" else "B")


def other_pair(values) -> str:
    return generate_secret(STACK.secret("JWT_KEYS"), values)


@pytest.mark.parametrize("name,spoil,expected", [
    ("SUPABASE_PUBLISHABLE_KEY", corrupt_checksum, "checksum"),
    ("SUPABASE_SECRET_KEY", lambda v: v.replace("sb_secret_", "sb_publishable_"), "does not start with sb_secret_"),
    ("JWT_JWKS", lambda v: json.dumps({"keys": json.loads(other_pair({"JWT_SECRET": "x" * 40}))}),
     "private key"),
    ("JWT_JWKS", lambda v: v.replace('"kid":"', '"kid":"x'), "does not match"),
    ("JWT_KEYS", lambda v: v.replace('"kty":"oct","k":"', '"kty":"oct","k":"AA'), "HS256 secret"),
    ("ANON_KEY_ASYMMETRIC", lambda v: v[:-4] + ("AAAA" if not v.endswith("AAAA") else "BBBB"), "not signed"),
])
def test_check_names_each_broken_new_value_without_quoting_it(values, name, spoil, expected):
    broken = dict(values)
    broken[name] = spoil(values[name])
    problems = [p for p in check_secrets(STACK, broken) if p.name == name]
    assert problems and expected in problems[0].message
    assert broken[name] not in problems[0].message


def test_es256_with_a_foreign_pair_or_wrong_role_is_refused(values):
    foreign = dict(values)
    foreign["JWT_KEYS"] = other_pair(values)
    from wizard.core.manifest.kinds.asymmetric_keys import public_jwks

    foreign["JWT_JWKS"] = public_jwks(foreign["JWT_KEYS"])
    names = {p.name for p in check_secrets(STACK, foreign)}
    assert {"ANON_KEY_ASYMMETRIC", "SERVICE_ROLE_KEY_ASYMMETRIC"} <= names
    swapped = dict(values, ANON_KEY_ASYMMETRIC=values["SERVICE_ROLE_KEY_ASYMMETRIC"])
    problem = next(p for p in check_secrets(STACK, swapped) if p.name == "ANON_KEY_ASYMMETRIC")
    assert "role 'service_role', expected 'anon'" in problem.message


def test_rotating_jwt_secret_rederives_the_pair_and_es256_keys(values):
    assert rotation_set(STACK, ["JWT_SECRET"]) == ["JWT_SECRET", "ANON_KEY", "SERVICE_ROLE_KEY", "JWT_KEYS", "JWT_JWKS",
                                                    "ANON_KEY_ASYMMETRIC", "SERVICE_ROLE_KEY_ASYMMETRIC"]
    rotated = resolve_values(STACK, {}, values, rotate=rotation_set(STACK, ["JWT_SECRET"]))
    fresh = rotated.values
    for name in ("JWT_SECRET", "JWT_KEYS", "JWT_JWKS", "ANON_KEY_ASYMMETRIC"):
        assert fresh[name] != values[name]
    assert fresh["SUPABASE_PUBLISHABLE_KEY"] == values["SUPABASE_PUBLISHABLE_KEY"]
    assert check_secrets(STACK, fresh) == []


def test_rotating_the_pair_alone_rederives_its_dependents_only(values):
    names = rotation_set(STACK, ["JWT_KEYS"])
    assert names == ["JWT_KEYS", "JWT_JWKS", "ANON_KEY_ASYMMETRIC", "SERVICE_ROLE_KEY_ASYMMETRIC"]
    fresh = resolve_values(STACK, {}, values, rotate=names).values
    assert fresh["ANON_KEY"] == values["ANON_KEY"] and fresh["JWT_SECRET"] == values["JWT_SECRET"]
    assert check_secrets(STACK, fresh) == []


def test_check_uses_the_opaque_keys_while_the_switch_is_on(values):
    from wizard.core.lifecycle.smoke import api_keys

    on = dict(values, SUPABASE_NEW_API_KEYS="true")
    assert api_keys(on) == (values["SUPABASE_PUBLISHABLE_KEY"], values["SUPABASE_SECRET_KEY"])
    off = dict(values, SUPABASE_NEW_API_KEYS="false")
    assert api_keys(off) == (values["ANON_KEY"], values["SERVICE_ROLE_KEY"])


def test_underscores_inside_the_random_part_or_checksum_are_not_separators():
    """Found by a random key: `_` is a base64url character, so the key is split by position."""
    from wizard.core.manifest.kinds.asymmetric_keys import api_key_checksum, api_key_problem

    for random_part in ("a_b_c_d_e_f_g_h_i_j_k_", "_" * 22, "A" * 21 + "-"):
        body = "sb_secret_" + random_part
        key = f"{body}_{api_key_checksum(body)}"
        assert api_key_problem(key, "sb_secret_") == ""
    # A checksum holding "_" (searched for, so the case is really covered).
    body = next(b for b in (f"sb_secret_{i:022d}" for i in range(10_000)) if "_" in api_key_checksum(b))
    assert api_key_problem(f"{body}_{api_key_checksum(body)}", "sb_secret_") == ""
    assert "checksum" in api_key_problem(f"{body}_{api_key_checksum(body)}x", "sb_secret_")


def test_a_thousand_generated_keys_all_pass_their_own_check():
    from wizard.core.manifest.kinds.asymmetric_keys import api_key_problem, generate_api_key

    assert not [key for key in (generate_api_key("sb_publishable_") for _ in range(1000))
                if api_key_problem(key, "sb_publishable_")]
