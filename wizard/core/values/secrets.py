"""Generate and check the secrets declared in ``stack.toml``.

Each kind has one generator and one format check (its entry in ``wizard.core.manifest.kinds``),
so what ``init`` writes is exactly what ``secrets check`` accepts. Messages never contain a secret value:
they name the secret and say what is wrong with it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from wizard.core.manifest.graph import reachable
from wizard.core.manifest.kinds import MIN_SIGNING_LENGTH, SECRET_KINDS
from wizard.core.manifest.kinds.hs256 import JWT_ALGORITHM
from wizard.core.manifest.model import SecretSpec, Stack

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
    if spec.kind not in SECRET_KINDS:
        raise ValueError(f"unknown secret kind {spec.kind!r}")
    return SECRET_KINDS[spec.kind].generate(spec, values, now)


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
    return {spec.signed_with for spec in stack.secrets
            if spec.kind in SECRET_KINDS and SECRET_KINDS[spec.kind].signs_hs256}


def format_problem(spec: SecretSpec, value: str, values: Mapping[str, str], *, signs_jwt: bool = False) -> str:
    """What is wrong with ``value`` for this secret's kind, or "" if nothing.

    Covers length and alphabet, and for a JWT its signature, role, issuer and
    expiry. Demo values are a separate question (``is_demo``): a demo value can be
    well formed.
    """
    if not value:
        return "has no value"
    from wizard.core.support import envvalue

    unwritable = envvalue.problem(value)
    if unwritable:
        return unwritable
    kind = SECRET_KINDS.get(spec.kind)
    if kind is not None:
        message = kind.problem(spec, value, values)
        # Only a kind with a length of its own can sign: a JWT or key is checked as a whole.
        if message or kind.length is None:
            return message
    if signs_jwt and len(value) < MIN_SIGNING_LENGTH:
        return f"signs JWTs but is {len(value)} characters long; it needs at least {MIN_SIGNING_LENGTH}"
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


def describe(spec: SecretSpec, value: str) -> str:
    """A short non-secret description: kind, length, and for a JWT its public claims."""
    if spec.kind in SECRET_KINDS and SECRET_KINDS[spec.kind].is_jwt and value:
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
