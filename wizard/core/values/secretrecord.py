"""`secrets check` for `up`'s preflight, without PyJWT when the secrets did not change.

Verifying a JWT imports PyJWT and the cryptography package, which costs a daily
no-op `up` more than everything else it does. After a check that found no problem
at all, a record is kept in the launcher's cache folder, keyed by the SHA-256 of
every declared secret (its spec and its value, hashed together, never written),
and of the checking code itself (wizard/core/values/secrets.py). It holds until the
earliest `exp` of the stack's JWTs: the one input that changes with time alone.
A rotated, edited or newly declared secret changes the key and is checked in full.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from pathlib import Path
from typing import Mapping

from wizard.core.manifest.stack import Stack
from wizard.core.manifest.kinds import secret_kind

# A token this close to its expiry is checked in full, so the error comes from PyJWT's own words.
MARGIN_SECONDS = 60.0


def checked_secrets(stack: Stack, values: Mapping[str, str]) -> list:
    """``wizard.core.values.secrets.check_secrets``, or [] straight from a record for these exact inputs."""
    from wizard.core.support.cache import cache_read, cache_write

    key = _key(stack, values)
    name = "secrets-" + hashlib.sha256(str(stack.root).encode()).hexdigest()[:16]
    cached = cache_read(name, key)
    if cached is not None and time.time() < float(cached.get("until", 0)) - MARGIN_SECONDS:
        return []
    from wizard.core.values.secrets import check_secrets

    problems = check_secrets(stack, values)
    until = _earliest_expiry(stack, values)
    if not problems and until is not None:
        cache_write(name, key, {"until": until})
    return problems


def _key(stack: Stack, values: Mapping[str, str]) -> str:
    from importlib.util import find_spec

    # The checker's file, found without running it: a no-op `up` never needs the module itself.
    digest = hashlib.sha256(Path(find_spec("wizard.core.values.secrets").origin).read_bytes())
    for spec in stack.secrets:
        digest.update(json.dumps([repr(spec), values.get(spec.name, "")]).encode() + b"\0")
    return digest.hexdigest()


def _earliest_expiry(stack: Stack, values: Mapping[str, str]) -> float | None:
    """The soonest `exp` claim of the stack's JWTs (infinity without any); None if one cannot be read."""
    earliest = float("inf")
    for spec in stack.secrets:
        if not secret_kind(spec).is_jwt:
            continue
        try:
            payload = values.get(spec.name, "").split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            earliest = min(earliest, float(claims["exp"]))
        except (IndexError, KeyError, TypeError, ValueError):
            return None
    return earliest
