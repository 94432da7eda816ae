"""How one value is written after ``KEY=`` so every reader gets it back exactly.

The readers are python-dotenv (with its default settings, as a backend calling
``load_dotenv()`` uses it) and Docker Compose (``--env-file`` interpolation and
``env_file:``). Their rules differ, measured against both (tests/unit/test_envvalue.py
runs the real compose binary):

- python-dotenv expands ``${NAME}`` in every kind of quoting, and has no escape for it;
- Compose expands ``$NAME``, ``${NAME}`` and ``$$`` outside single quotes;
- inside single quotes python-dotenv reads ``\\\\`` and ``\\'`` as escapes, Compose does not;
- inside double quotes both read ``\\\\``, ``\\"`` and ``\\n`` alike.

So: plain when nothing needs quoting, single quotes when the value has no quote or
backslash, double quotes (escaped) when it has no ``$``. A value that fits none
of these cannot be written so that all readers agree: it is refused up front.
"""

from __future__ import annotations

import re

# Characters that need no quoting in a dotenv line, for python-dotenv and Compose alike.
_PLAIN = re.compile(r"^[A-Za-z0-9_\-.:/@+=,~%*!?^&|<>()\[\]{};]*$")
# Line breaks that Python's str.splitlines() and other readers see where dotenv does not,
# and control characters no env reader keeps intact.
_UNSAFE_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]")


def problem(value: str) -> str:
    """Why ``value`` cannot be written to an env file ("" when it can). Never quotes the value."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes from argv or the environment (surrogateescape)
        return "is not valid UTF-8 text"
    unsafe = _UNSAFE_CHARACTERS.search(value)
    if unsafe:
        return f"holds the control character U+{ord(unsafe.group()):04X}, which env files cannot carry"
    if "${" in value:
        return "holds ${, which python-dotenv always expands: env files cannot carry it"
    if "$" in value and not _single_quotable(value):
        return "holds $ together with a quote, backslash or line break: env files cannot carry that"
    return ""


def quote(value: str) -> str:
    """``value`` as it must appear after ``KEY=``; call ``problem`` first."""
    if _PLAIN.match(value):
        return value
    if _single_quotable(value):
        return f"'{value}'"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _single_quotable(value: str) -> bool:
    return not any(character in value for character in "'\\\n")
