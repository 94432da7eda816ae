"""Generate and check the secrets declared in ``stack.toml``.

Each kind has one generator and one format check, so what ``init`` writes is
exactly what ``secrets check`` accepts. Messages never contain a secret value:
they name the secret and say what is wrong with it.
"""

from __future__ import annotations

import base64
import re
import secrets as random
import string
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from wizard.core.asymmetric_keys import NEW_KINDS
from wizard.core.graph import reachable
from wizard.core.stack import MIN_SIGNING_LENGTH as MIN_SIGNING_SECRET_LENGTH
from wizard.core.stack import SecretSpec, Stack

# URL-safe alphabets. Tokens use base64url (what secrets.token_urlsafe produces);
# passwords use RFC 3986 "unreserved" characters, which can be pasted raw into
# postgres://user:PASS@host URLs, env files and shell commands without quoting.
TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_"
PASSWORD_ALPHABET = string.ascii_letters + string.digits + "-._~"
HEX_ALPHABET = string.hexdigits
BASE64_ALPHABET = string.ascii_letters + string.digits + "+/="
# MongoDB ignores whitespace in a keyfile but accepts only base64 characters otherwise.
KEYFILE_ALPHABET = string.ascii_letters + string.digits + "+/="
KEYFILE_LENGTH = (6, 1024)
JWT_ALGORITHM = "HS256"
DEFAULT_ISSUER = "launcher"

# Secrets published in public sample files. Anyone can sign a service_role JWT with
# the first two, so a stack using them is open to the world.
DEMO_JWT_SECRETS = frozenset({
    "your-super-secret-jwt-token-with-at-least-32-characters-long",  # supabase/docker/.env.example
    "super-secret-jwt-token-with-at-least-32-characters-long",  # supabase CLI local development
})

# Every well-known public value we refuse to run with. The four JWTs are Supabase's
# published demo keys (docker .env.example and the CLI's local keys); each one
# verifies with one of DEMO_JWT_SECRETS, checked in tests.
DEMO_VALUES = frozenset({
    *DEMO_JWT_SECRETS,
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyAgCiAgICAicm9sZSI6ICJhbm9uIiwKICAgICJpc3MiOiAic3VwYWJhc2UtZGVtbyIsCiAgICAiaWF0IjogMTY0MTc2OTIwMCwKICAgICJleHAiOiAxNzk5NTM1NjAwCn0.dc_X5iR_VP_qT0zsiyj_I_OZ2T9FtRU2BBNWN8Bu4GE",  # noqa: E501
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyAgCiAgICAicm9sZSI6ICJzZXJ2aWNlX3JvbGUiLAogICAgImlzcyI6ICJzdXBhYmFzZS1kZW1vIiwKICAgICJpYXQiOiAxNjQxNzY5MjAwLAogICAgImV4cCI6IDE3OTk1MzU2MDAKfQ.DaYlNEoUrrEn2Ig7tqibS-PHK5vgusbcbo7X36XVt4Q",  # noqa: E501
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0",  # noqa: E501
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU",  # noqa: E501
    "your-super-secret-and-long-postgres-password",
    "this_password_is_insecure_and_should_be_updated",
    "UpNVntn3cDxHJpq99YMc1T1AQgQpc8kfYTuRgBiYa15BLrx8etQoXz3gZv1/u2oq",
    "your-encryption-key-32-chars-min",
    "your-32-character-encryption-key",
    "your-super-secret-and-long-logflare-key",
    "your-super-secret-and-long-logflare-key-public",
    "your-super-secret-and-long-logflare-key-private",
    "625729a08b95bf1b7ff351a663f3a23c",  # S3 protocol access key id of the storage example
    "850181e4652dd023b7a98c58ae0d2d34bd487ee0cc3254aed6eda37307425907",  # noqa: E501 - its secret
    "fake_mail_password",
    "supabaserealtime",
    "your-tenant-id",
    "secret1234",
    "changeme",
    "password",
    "secret",
})


@dataclass(frozen=True)
class SecretProblem:
    """One thing wrong with one secret. ``message`` never contains the value."""

    name: str
    message: str
    demo: bool = False  # a public demo value: `up --allow-demo-secrets` lets it pass

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "message": self.message, "demo": self.demo}


def generate_secret(spec: SecretSpec, values: Mapping[str, str], *, now: float | None = None) -> str:
    """A fresh value for one secret; a JWT is signed with its signer's value in ``values``."""
    if spec.kind == "token":
        return _random_string(TOKEN_ALPHABET, spec.length)
    if spec.kind == "password":
        return _random_string(PASSWORD_ALPHABET, spec.length)
    if spec.kind == "hex":
        return random.token_hex((spec.length + 1) // 2)[: spec.length]
    if spec.kind in ("base64", "mongo-keyfile"):
        # Enough random bytes for `length` characters, padding cut off: consumers
        # want an exact size, and '=' in the middle of a trimmed string is meaningless.
        raw = random.token_bytes(spec.length * 3 // 4 + 3)
        return base64.b64encode(raw).decode("ascii")[: spec.length]
    if spec.kind == "jwt":
        return sign_jwt(spec, values[spec.signed_with], now=now)
    if spec.kind in NEW_KINDS:
        return _generate_new_kind(spec, values, now=now)
    raise ValueError(f"unknown secret kind {spec.kind!r}")


def sign_jwt(spec: SecretSpec, signing_secret: str, *, now: float | None = None) -> str:
    """An HS256 JWT with the claims role, iss, iat and exp."""
    import jwt

    issued = int(time.time() if now is None else now)
    claims = {
        "role": spec.role,
        "iss": spec.issuer or DEFAULT_ISSUER,
        "iat": issued,
        "exp": issued + spec.expires_days * 86400,
    }
    return jwt.encode(claims, signing_secret, algorithm=JWT_ALGORITHM)


def _generate_new_kind(spec: SecretSpec, values: Mapping[str, str], *, now: float | None = None) -> str:
    from wizard.core import asymmetric_keys as keys

    if spec.kind == "api-key":
        return keys.generate_api_key(spec.prefix)
    if spec.kind == "jwks":
        return keys.generate_jwks(values[spec.signed_with])
    if spec.kind == "jwks-public":
        return keys.public_jwks(values[spec.signed_with])
    return keys.sign_es256(values[spec.signed_with], spec.role, spec.issuer or DEFAULT_ISSUER, spec.expires_days,
                           now=now)


def _new_kind_problem(spec: SecretSpec, value: str, values: Mapping[str, str]) -> str:
    """What is wrong with a newer-kind key; a hand-edited one of the wrong shape is "unreadable", not a crash."""
    import jwt

    try:
        return _checked_new_kind(spec, value, values)
    except (ValueError, TypeError, KeyError, AttributeError, jwt.PyJWTError):
        return f"cannot be read as a {spec.kind} value — run `launcher secrets rotate {spec.name}`"


def _checked_new_kind(spec: SecretSpec, value: str, values: Mapping[str, str]) -> str:
    from wizard.core import asymmetric_keys as keys

    if spec.kind == "api-key":
        return keys.api_key_problem(value, spec.prefix)
    signer = values.get(spec.signed_with, "")
    if not signer:
        return f"cannot be checked: {spec.signed_with} has no value"
    if spec.kind == "jwks":
        return keys.jwks_problem(value, signer)
    if spec.kind == "jwks-public":
        return keys.jwks_public_problem(value, signer)
    return keys.es256_problem(value, signer, spec.role, spec.issuer, spec.name, spec.signed_with)


def _random_string(alphabet: str, length: int) -> str:
    return "".join(random.choice(alphabet) for _ in range(length))


def signing_order(stack: Stack) -> list[SecretSpec]:
    """Secrets in an order where every signer comes before what it signs or derives.

    Chains are short (JWT_SECRET -> JWT_KEYS -> ANON_KEY_ASYMMETRIC), so a secret's
    depth along its ``signed_with`` links orders them; manifest order breaks ties.
    """
    by_name = {spec.name: spec for spec in stack.secrets}

    def depth(spec: SecretSpec, seen: frozenset[str] = frozenset()) -> int:
        signer = by_name.get(spec.signed_with)
        if signer is None or signer.name in seen:
            return 0
        return 1 + depth(signer, seen | {spec.name})

    return sorted(stack.secrets, key=depth)


def derived_from(stack: Stack, name: str) -> list[str]:
    """Names of the secrets signed with or derived from ``name``: rotating it must re-derive these."""
    return [spec.name for spec in stack.secrets if spec.signed_with == name]


def signers(stack: Stack) -> set[str]:
    """Names of the secrets that sign an HS256 JWT (directly or as a JWKS oct key)."""
    return {spec.signed_with for spec in stack.secrets if spec.kind in ("jwt", "jwks")}


def format_problem(spec: SecretSpec, value: str, values: Mapping[str, str], *, signs_jwt: bool = False) -> str:
    """What is wrong with ``value`` for this secret's kind, or "" if nothing.

    Covers length and alphabet, and for a JWT its signature, role, issuer and
    expiry. Demo values are a separate question (``is_demo``): a demo value can be
    well formed.
    """
    if not value:
        return "has no value"
    from wizard.core import envvalue

    unwritable = envvalue.problem(value)
    if unwritable:
        return unwritable
    kind, length = spec.kind, spec.length
    if kind in ("token", "password"):
        alphabet = TOKEN_ALPHABET if kind == "token" else PASSWORD_ALPHABET
        if len(value) < length:
            return f"is {len(value)} characters long; {kind} needs at least {length}"
        if not set(value) <= set(alphabet):
            return f"has characters outside the URL-safe {kind} alphabet"
    elif kind in ("hex", "base64"):
        alphabet = HEX_ALPHABET if kind == "hex" else BASE64_ALPHABET
        if len(value) != length:
            return f"is {len(value)} characters long; it must be exactly {length}"
        if not set(value) <= set(alphabet):
            return f"has characters outside the {kind} alphabet"
    elif kind == "mongo-keyfile":
        low, high = KEYFILE_LENGTH
        content = "".join(value.split())
        if not low <= len(content) <= high:
            return f"is {len(content)} characters long; a MongoDB keyfile needs {low} to {high}"
        if not set(content) <= set(KEYFILE_ALPHABET):
            return "has characters outside the base64 alphabet MongoDB accepts in a keyfile"
    elif kind == "jwt":
        return _jwt_problem(spec, value, values.get(spec.signed_with, ""))
    elif kind in NEW_KINDS:
        return _new_kind_problem(spec, value, values)
    if signs_jwt and len(value) < MIN_SIGNING_SECRET_LENGTH:
        return f"signs JWTs but is {len(value)} characters long; it needs at least {MIN_SIGNING_SECRET_LENGTH}"
    return ""


def _jwt_problem(spec: SecretSpec, token: str, signing_secret: str) -> str:
    import jwt

    if not signing_secret:
        return f"cannot be verified: {spec.signed_with} has no value"
    try:
        claims = jwt.decode(token, signing_secret, algorithms=[JWT_ALGORITHM],
                            options={"require": ["exp", "iat"], "verify_iss": False})
    except jwt.ExpiredSignatureError:
        return f"has expired — run `launcher secrets rotate {spec.name}`"
    except jwt.InvalidSignatureError:
        return f"is not signed with the current {spec.signed_with}"
    except jwt.InvalidTokenError as exc:
        # PyJWT's messages describe the token's structure, never its content.
        return f"is not a valid HS256 JWT ({exc})"
    if claims.get("role") != spec.role:
        return f"carries role {claims.get('role')!r}, expected {spec.role!r}"
    expected_issuer = spec.issuer or DEFAULT_ISSUER
    if spec.issuer and claims.get("iss") != expected_issuer:
        return f"carries issuer {claims.get('iss')!r}, expected {expected_issuer!r}"
    return ""


def is_demo(value: str) -> bool:
    """A well-known public value, or a JWT signed with a public demo secret."""
    if value in DEMO_VALUES:
        return True
    if value.count(".") != 2 or not value.startswith("eyJ"):
        return False
    import jwt

    for secret in DEMO_JWT_SECRETS:
        try:
            jwt.decode(value, secret, algorithms=[JWT_ALGORITHM],
                       options={"verify_exp": False, "verify_aud": False, "verify_iss": False})
        except jwt.InvalidTokenError:
            continue
        return True
    return False


def check_secrets(stack: Stack, values: Mapping[str, str]) -> list[SecretProblem]:
    """Every problem with the stack's secrets; an empty list means all is well.

    `launcher up` calls this in preflight and refuses to start on any problem
    (demo values pass only with --allow-demo-secrets).
    """
    problems = []
    signing = signers(stack)
    for spec in stack.secrets:
        value = values.get(spec.name, "")
        if value and is_demo(value):
            problems.append(SecretProblem(spec.name, "is a well-known public demo value — run "
                                          f"`launcher secrets rotate {spec.name}`", demo=True))
            continue
        message = format_problem(spec, value, values, signs_jwt=spec.name in signing)
        if message:
            problems.append(SecretProblem(spec.name, message))
    return problems


def mask(value: str) -> str:
    """A stand-in that shows a value exists without revealing any character of it."""
    return "********" if value else "(empty)"


def describe(spec: SecretSpec, value: str) -> str:
    """A short non-secret description: kind, length, and for a JWT its public claims."""
    if spec.kind in ("jwt", "jwt-es256") and value:
        claims = jwt_claims(value)
        if claims:
            expires = time.strftime("%Y-%m-%d", time.gmtime(int(claims.get("exp", 0))))
            return f"{spec.kind} role={claims.get('role')} iss={claims.get('iss')} expires {expires}"
        return "jwt (unreadable)"
    return f"{spec.kind}, {len(value)} chars"


def jwt_claims(token: str) -> dict[str, object]:
    """The claims of a JWT without verifying it (for display only), or {}."""
    import jwt

    try:
        return jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return {}


def rotation_set(stack: Stack, names: Iterable[str]) -> list[str]:
    """``names`` plus every secret derived from them, signers before what they sign."""
    wanted = reachable(names, lambda name: derived_from(stack, name))
    return [spec.name for spec in signing_order(stack) if spec.name in wanted]


def services_to_restart(stack: Stack, names: Iterable[str], files: Iterable[Path]) -> list[str]:
    """Compose services that read one of ``names`` or one of ``files``: "group/service".

    A heuristic on the compose text, not a compose parser: a service counts when
    its block mentions ``${NAME}`` / ``$NAME`` or the file name of a changed env
    file or keyfile. Good enough to tell the user what to restart.
    """
    name_patterns = [re.compile(rf"\$\{{{re.escape(name)}(?=[}}:?-])|\${re.escape(name)}\b") for name in names]
    file_patterns = [re.compile(rf"(^|[/\s\"'=]){re.escape(path.name)}($|[\s\"':])", re.MULTILINE)
                     for path in files]
    found = []
    for group in stack.groups:
        for compose_file in group.compose_files:
            try:
                text = compose_file.read_text(encoding="utf-8")
            except OSError:
                continue
            for service, block in _service_blocks(text):
                if any(p.search(block) for p in name_patterns + file_patterns):
                    found.append(f"{group.name}/{service}")
    return list(dict.fromkeys(found))


def _service_blocks(text: str) -> list[tuple[str, str]]:
    """(service name, its lines) for each entry under the top-level ``services:`` key."""
    blocks: list[tuple[str, list[str]]] = []
    inside, indent = False, None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            if blocks and inside:
                blocks[-1][1].append(line)
            continue
        depth = len(line) - len(line.lstrip())
        if depth == 0:
            inside = line.rstrip() == "services:"
            continue
        if not inside:
            continue
        if indent is None:
            indent = depth
        if depth == indent and line.rstrip().endswith(":"):
            blocks.append((line.strip()[:-1].strip("'\""), []))
        elif blocks:
            blocks[-1][1].append(line)
    return [(name, "\n".join(lines)) for name, lines in blocks]
