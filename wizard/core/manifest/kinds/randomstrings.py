"""Random strings of a set length: ``token``, ``hex``, ``base64`` and ``password``."""

from __future__ import annotations

import string
from typing import Iterator, Mapping

from wizard.core.manifest.kinds.base import Declared, Problem, SecretKind, length_problems
from wizard.core.manifest.model import SecretSpec

# URL-safe alphabets. Tokens use base64url (what secrets.token_urlsafe produces);
# passwords use RFC 3986 "unreserved" characters, which can be pasted raw into
# postgres://user:PASS@host URLs, env files and shell commands without quoting.
TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_"
PASSWORD_ALPHABET = string.ascii_letters + string.digits + "-._~"
HEX_ALPHABET = string.hexdigits
BASE64_ALPHABET = string.ascii_letters + string.digits + "+/="
LENGTH = (8, 4096)


# secrets (hmac, random) and base64 are imported where a value is made: every command loads
# the kinds to validate the manifest, few make values, and the imports cost a few ms of CPU.
def random_string(alphabet: str, length: int) -> str:
    import secrets as random

    return "".join(random.choice(alphabet) for _ in range(length))


def random_hex(length: int) -> str:
    import secrets as random

    return random.token_hex((length + 1) // 2)[:length]


def random_base64(length: int) -> str:
    """``length`` base64 characters, padding cut off."""
    # Enough random bytes for `length` characters, padding cut off: consumers
    # want an exact size, and '=' in the middle of a trimmed string is meaningless.
    import base64
    import secrets as random

    raw = random.token_bytes(length * 3 // 4 + 3)
    return base64.b64encode(raw).decode("ascii")[:length]


def _at_least(alphabet: str):
    """Token and password: at least the declared length, from a URL-safe alphabet."""
    def problem(spec: SecretSpec, value: str, values: Mapping[str, str]) -> str:
        if len(value) < spec.length:
            return f"is {len(value)} characters long; {spec.kind} needs at least {spec.length}"
        if not set(value) <= set(alphabet):
            return f"has characters outside the URL-safe {spec.kind} alphabet"
        return ""
    return problem


def _exactly(alphabet: str):
    """Hex and base64: exactly the declared length, from the kind's alphabet."""
    def problem(spec: SecretSpec, value: str, values: Mapping[str, str]) -> str:
        if len(value) != spec.length:
            return f"is {len(value)} characters long; it must be exactly {spec.length}"
        if not set(value) <= set(alphabet):
            return f"has characters outside the {spec.kind} alphabet"
        return ""
    return problem


def _manifest_problems(spec: SecretSpec, declared: Declared) -> Iterator[Problem]:
    return length_problems(spec, declared, LENGTH, suggested=max(LENGTH[0], 32))


KINDS = (
    SecretKind("token", lambda spec, values, now: random_string(TOKEN_ALPHABET, spec.length),
               _at_least(TOKEN_ALPHABET), _manifest_problems, LENGTH, role_password=True),
    SecretKind("hex", lambda spec, values, now: random_hex(spec.length),
               _exactly(HEX_ALPHABET), _manifest_problems, LENGTH, role_password=True),
    SecretKind("base64", lambda spec, values, now: random_base64(spec.length),
               _exactly(BASE64_ALPHABET), _manifest_problems, LENGTH),
    SecretKind("password", lambda spec, values, now: random_string(PASSWORD_ALPHABET, spec.length),
               _at_least(PASSWORD_ALPHABET), _manifest_problems, LENGTH, role_password=True,
               kept_by_servers=True),
)
