"""Supabase's newer keys: ``api-key``, ``jwks``, ``jwks-public`` and ``jwt-es256``.

The cryptography is in ``wizard.core.manifest.kinds.asymmetric_keys`` (imported when a value is made
or checked); this module says what each kind needs in the manifest.
"""

from __future__ import annotations

import re
from typing import Callable, Iterator, Mapping

from wizard.core.manifest.kinds.base import Declared, Problem, SecretKind
from wizard.core.manifest.kinds.hs256 import DEFAULT_ISSUER
from wizard.core.manifest.model import SecretSpec

# What each derived kind's signed_with must name.
SIGNER_KINDS = {"jwks": ("token", "password", "hex", "base64"), "jwks-public": ("jwks",), "jwt-es256": ("jwks",)}


def _generate(spec: SecretSpec, values: Mapping[str, str], now: float | None) -> str:
    from wizard.core.manifest.kinds import asymmetric_keys as keys

    if spec.kind == "api-key":
        return keys.generate_api_key(spec.prefix)
    if spec.kind == "jwks":
        return keys.generate_jwks(values[spec.signed_with])
    if spec.kind == "jwks-public":
        return keys.public_jwks(values[spec.signed_with])
    return keys.sign_es256(values[spec.signed_with], spec.role, spec.issuer or DEFAULT_ISSUER, spec.expires_days,
                           now=now)


def _problem(spec: SecretSpec, value: str, values: Mapping[str, str]) -> str:
    """What is wrong with a key; a hand-edited one of the wrong shape is "unreadable", not a crash."""
    import jwt

    try:
        return _checked(spec, value, values)
    except (ValueError, TypeError, KeyError, AttributeError, jwt.PyJWTError):
        return f"cannot be read as a {spec.kind} value — run `launcher secrets rotate {spec.name}`"


def _checked(spec: SecretSpec, value: str, values: Mapping[str, str]) -> str:
    from wizard.core.manifest.kinds import asymmetric_keys as keys

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


def _api_key_manifest(spec: SecretSpec, declared: Declared) -> Iterator[Problem]:
    if not re.fullmatch(r"[a-z][a-z0-9_]*_", spec.prefix):
        yield (f"secret {spec.name} (api-key) needs a prefix like \"sb_secret_\"",
               'add prefix = "sb_publishable_" (lower case, ending in _)', declared.key("prefix"))


def _derived_manifest(spec: SecretSpec, declared: Declared) -> Iterator[Problem]:
    wanted = SIGNER_KINDS[spec.kind]
    if declared.kinds.get(spec.signed_with) not in wanted:
        yield (f"secret {spec.name} ({spec.kind}) needs signed_with naming a {' or '.join(wanted)} secret",
               "set signed_with to the name of that [secrets.X] entry", declared.key("signed_with"))
    if spec.kind == "jwt-es256" and not spec.role:
        yield f"secret {spec.name} (jwt-es256) needs a role claim", 'add role = "anon"', None


def _kind(name: str, manifest: Callable[[SecretSpec, Declared], Iterator[Problem]], **flags: bool) -> SecretKind:
    return SecretKind(name, _generate, _problem, manifest, **flags)


KINDS = (
    _kind("api-key", _api_key_manifest),
    _kind("jwks", _derived_manifest, signs_hs256=True),
    _kind("jwks-public", _derived_manifest),
    _kind("jwt-es256", _derived_manifest, is_jwt=True),
)
