"""``mongo-keyfile``: the shared key of a MongoDB replica set, also written to its own file (``path``)."""

from __future__ import annotations

import string
from typing import Iterator, Mapping

from wizard.core.manifest.kinds.base import Declared, Problem, SecretKind, length_problems
from wizard.core.manifest.kinds.randomstrings import random_base64
from wizard.core.manifest.model import SecretSpec

# MongoDB ignores whitespace in a keyfile but accepts only base64 characters otherwise.
KEYFILE_ALPHABET = string.ascii_letters + string.digits + "+/="
KEYFILE_LENGTH = (6, 1024)


def _problem(spec: SecretSpec, value: str, values: Mapping[str, str]) -> str:
    low, high = KEYFILE_LENGTH
    content = "".join(value.split())
    if not low <= len(content) <= high:
        return f"is {len(content)} characters long; a MongoDB keyfile needs {low} to {high}"
    if not set(content) <= set(KEYFILE_ALPHABET):
        return "has characters outside the base64 alphabet MongoDB accepts in a keyfile"
    return ""


def _manifest_problems(spec: SecretSpec, declared: Declared) -> Iterator[Problem]:
    yield from length_problems(spec, declared, KEYFILE_LENGTH, suggested=756)
    if spec.path is None:
        yield (f"secret {spec.name} (mongo-keyfile) needs a path for its file", 'add path = "secrets/mongo-keyfile"',
               None)


KINDS = (
    SecretKind("mongo-keyfile", lambda spec, values, now: random_base64(spec.length), _problem, _manifest_problems,
               KEYFILE_LENGTH, written_to_file=True),
)
