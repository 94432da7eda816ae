"""Checking a JWT the launcher signed: the one decode both key families (HS256, ES256) share."""

from __future__ import annotations

from typing import Any


def verified_claims(token: str, key: Any, algorithm: str, *, name: str, signer: str) -> dict[str, Any] | str:
    """The token's claims once its signature, ``exp`` and ``iat`` hold; else why not, as a phrase.

    ``name`` is the secret holding the token (the rotation to suggest), ``signer`` the one
    whose key should have signed it.
    """
    import jwt

    try:
        # The issuer is compared by the caller, who knows which one the manifest expects.
        return jwt.decode(token, key, algorithms=[algorithm], options={"require": ["exp", "iat"], "verify_iss": False})
    except jwt.ExpiredSignatureError:
        return f"has expired — run `launcher secrets rotate {name}`"
    except jwt.InvalidSignatureError:
        return f"is not signed with the current {signer}"
    except jwt.InvalidTokenError as exc:
        # PyJWT's messages describe the token's structure, never its content.
        return f"is not a valid {algorithm} JWT ({exc})"
