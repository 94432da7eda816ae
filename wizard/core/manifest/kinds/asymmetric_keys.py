"""Supabase's newer API keys: opaque keys with a checksum, an EC P-256 JWKS pair, ES256 JWTs.

Kinds (declared in stack.toml like every secret):
- ``api-key``: ``<prefix><22 random base64url chars>_<checksum>``, the checksum being
  the first 8 base64url characters of sha256("supabase-self-hosted|" + prefix + random),
  as upstream's docker/utils/add-new-auth-keys.sh makes them. Kong maps each to a JWT.
- ``jwks``: a JSON array with one EC P-256 private key (ES256, a random kid) and the
  HS256 secret named by ``signed_with`` as an ``oct`` key: what auth signs with.
- ``jwks-public``: ``{"keys": [...]}`` with the public half of ``signed_with`` (a jwks)
  and the same oct key: what PostgREST, Realtime and Storage verify with.
- ``jwt-es256``: a JWT signed with the EC key of ``signed_with`` (a jwks), header ``kid``,
  claims role/iss/iat/exp.

Problems are described without ever quoting a value.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets as random
import time
import uuid
from typing import Any, Mapping

from wizard.core.manifest.kinds.jwtclaims import verified_claims

API_KEY_PROJECT = "supabase-self-hosted"
API_KEY_RANDOM_CHARS = 22
API_KEY_CHECKSUM_CHARS = 8
ES256 = "ES256"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --------------------------------------------------------------------------- opaque API keys


def api_key_checksum(body: str) -> str:
    """The checksum of ``prefix + random``."""
    digest = hashlib.sha256(f"{API_KEY_PROJECT}|{body}".encode("utf-8")).digest()
    return _b64url(digest)[:API_KEY_CHECKSUM_CHARS]


def generate_api_key(prefix: str) -> str:
    # 17 random bytes give 23 base64url characters; 22 of them carry the randomness.
    body = prefix + _b64url(random.token_bytes(17))[:API_KEY_RANDOM_CHARS]
    return f"{body}_{api_key_checksum(body)}"


def api_key_problem(value: str, prefix: str) -> str:
    if not value.startswith(prefix):
        return f"does not start with {prefix}"
    # Split by position: both the random part and the checksum may contain "_" themselves.
    end = len(prefix) + API_KEY_RANDOM_CHARS
    body, separator, checksum = value[:end], value[end:end + 1], value[end + 1:]
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    if (separator != "_" or len(checksum) != API_KEY_CHECKSUM_CHARS
            or not set(body[len(prefix):]) <= alphabet or len(body) != end):
        return f"is not {prefix} + {API_KEY_RANDOM_CHARS} base64url characters + _ + a checksum"
    if checksum != api_key_checksum(body):
        return "has a checksum that does not match the key (mistyped or truncated?)"
    return ""


# --------------------------------------------------------------------------- the JWKS pair


def oct_key(hs_secret: str) -> dict[str, str]:
    return {"kty": "oct", "k": _b64url(hs_secret.encode("utf-8")), "alg": "HS256"}


def generate_jwks(hs_secret: str) -> str:
    """A fresh EC P-256 private JWK plus the HS256 secret, as a JSON array."""
    from cryptography.hazmat.primitives.asymmetric import ec

    numbers = ec.generate_private_key(ec.SECP256R1()).private_numbers()
    private = {"kty": "EC", "kid": str(uuid.uuid4()), "use": "sig", "key_ops": ["sign", "verify"], "alg": ES256,
               "ext": True, "crv": "P-256", "x": _coordinate(numbers.public_numbers.x),
               "y": _coordinate(numbers.public_numbers.y), "d": _coordinate(numbers.private_value)}
    return json.dumps([private, oct_key(hs_secret)], separators=(",", ":"))


def public_jwks(private_jwks: str) -> str:
    """The verifying half of a private JWKS array: EC keys without ``d``, oct keys as they are."""
    keys = []
    for key in json.loads(private_jwks):
        if key.get("kty") == "EC":
            key = {name: value for name, value in key.items() if name != "d"}
            key["key_ops"] = ["verify"]
        keys.append(key)
    return json.dumps({"keys": keys}, separators=(",", ":"))


def _coordinate(number: int) -> str:
    return _b64url(number.to_bytes(32, "big"))


def _ec_private(jwk: Mapping[str, Any]):
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.derive_private_key(int.from_bytes(_b64url_decode(jwk["d"]), "big"), ec.SECP256R1())


def _signing_key(private_jwks: str) -> Mapping[str, Any]:
    for key in json.loads(private_jwks):
        if key.get("kty") == "EC" and key.get("d"):
            return key
    raise ValueError("no EC private key")


def jwks_problem(value: str, hs_secret: str) -> str:
    """The private JWKS: JSON, one P-256 key whose d matches its x/y, and the current HS256 secret."""
    try:
        keys = json.loads(value)
    except ValueError:
        return "is not JSON"
    if not isinstance(keys, list):
        return "is not a JSON array of keys"
    ec_keys = [key for key in keys if isinstance(key, dict) and key.get("kty") == "EC"]
    if len(ec_keys) != 1 or ec_keys[0].get("crv") != "P-256" or not ec_keys[0].get("d") or not ec_keys[0].get("kid"):
        return "needs exactly one EC P-256 private key with a kid"
    try:
        numbers = _ec_private(ec_keys[0]).public_key().public_numbers()
    except (ValueError, KeyError):
        return "holds an EC private key that cannot be read"
    if (_coordinate(numbers.x), _coordinate(numbers.y)) != (ec_keys[0].get("x"), ec_keys[0].get("y")):
        return "holds an EC private key that does not match its public x/y"
    if oct_key(hs_secret) not in keys:
        return "does not hold the current HS256 secret as an oct key"
    return ""


def jwks_public_problem(value: str, private_jwks: str) -> str:
    """The public JWKS must be exactly the verifying half of the private one (no private part)."""
    try:
        document = json.loads(value)
    except ValueError:
        return "is not JSON"
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        return 'is not a JWKS document {"keys": [...]}'
    if any(isinstance(key, dict) and "d" in key for key in document["keys"]):
        return "contains a private key: it is handed to every verifying service"
    try:
        expected = json.loads(public_jwks(private_jwks))
    except (ValueError, TypeError):
        return "cannot be compared: its private pair is not valid"
    if document != expected:
        return "does not match its private key pair — rotate the pair"
    return ""


# --------------------------------------------------------------------------- ES256 JWTs


def sign_es256(private_jwks: str, role: str, issuer: str, days: int, *, now: float | None = None) -> str:
    import jwt

    key = _signing_key(private_jwks)
    issued = int(time.time() if now is None else now)
    claims = {"role": role, "iss": issuer, "iat": issued, "exp": issued + days * 86400}
    return jwt.encode(claims, _ec_private(key), algorithm=ES256, headers={"kid": key["kid"]})


def es256_problem(token: str, private_jwks: str, role: str, issuer: str, name: str, signer: str) -> str:
    """Signature (by the pair's public key, found by kid), role, issuer and expiry."""
    import jwt

    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        return f"is not a JWT ({exc})"
    if header.get("alg") != ES256:
        return f"is signed with {header.get('alg')!r}, expected ES256"
    try:
        keys = json.loads(public_jwks(private_jwks))["keys"]
    except (ValueError, TypeError, KeyError):
        return f"cannot be verified: {signer} is not valid"
    match = [key for key in keys if key.get("kty") == "EC" and key.get("kid") == header.get("kid")]
    if not match:
        return f"names a kid that is not in {signer}"
    public = jwt.PyJWK(match[0], algorithm=ES256).key
    claims = verified_claims(token, public, ES256, name=name, signer=signer)
    if isinstance(claims, str):
        return claims
    if claims.get("role") != role:
        return f"carries role {claims.get('role')!r}, expected {role!r}"
    if issuer and claims.get("iss") != issuer:
        return f"carries issuer {claims.get('iss')!r}, expected {issuer!r}"
    return ""
