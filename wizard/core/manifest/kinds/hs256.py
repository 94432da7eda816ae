"""``jwt``: an HS256 JWT (claims role, iss, iat, exp) signed with another declared secret."""

from __future__ import annotations

import time
from typing import Iterator, Mapping

from wizard.core.manifest.kinds.jwtclaims import verified_claims
from wizard.core.manifest.kinds.base import MIN_SIGNING_LENGTH, Declared, Problem, SecretKind
from wizard.core.manifest.model import SecretSpec

JWT_ALGORITHM = "HS256"
DEFAULT_ISSUER = "launcher"


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


def _problem(spec: SecretSpec, token: str, values: Mapping[str, str]) -> str:
    signing_secret = values.get(spec.signed_with, "")
    if not signing_secret:
        return f"cannot be verified: {spec.signed_with} has no value"
    claims = verified_claims(token, signing_secret, JWT_ALGORITHM, name=spec.name, signer=spec.signed_with)
    if isinstance(claims, str):
        return claims
    if claims.get("role") != spec.role:
        return f"carries role {claims.get('role')!r}, expected {spec.role!r}"
    expected_issuer = spec.issuer or DEFAULT_ISSUER
    if spec.issuer and claims.get("iss") != expected_issuer:
        return f"carries issuer {claims.get('iss')!r}, expected {expected_issuer!r}"
    return ""


def _manifest_problems(spec: SecretSpec, declared: Declared) -> Iterator[Problem]:
    if not spec.signed_with or spec.signed_with not in declared.kinds:
        yield (f"secret {spec.name} (jwt) must be signed with a declared secret",
               "set signed_with to the name of a [secrets.X] entry", declared.key("signed_with"))
    elif declared.kinds.get(spec.signed_with) == "jwt":
        yield (f"secret {spec.name} (jwt) is signed with {spec.signed_with}, which is a JWT itself",
               "sign it with a token or password secret (the JWT secret)", "signed_with")
    if spec.expires_days <= 0:
        yield (f"secret {spec.name} (jwt) expires_days must be at least 1, not {spec.expires_days}",
               "set expires_days = 3650 (or leave it out)", "expires_days")
    if not spec.role:
        yield f"secret {spec.name} (jwt) needs a role claim", 'add role = "anon"', None


KINDS = (
    SecretKind("jwt", lambda spec, values, now: sign_jwt(spec, values[spec.signed_with], now=now), _problem,
               _manifest_problems, signer_min_length=MIN_SIGNING_LENGTH, signs_hs256=True, is_jwt=True),
)
