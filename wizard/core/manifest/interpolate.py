"""``${NAME}`` references in templates, seeds and step parameters.

One implementation for every place a declared secret or setting is substituted,
so an unknown name is reported the same way everywhere: ``file:line``, the name,
and the names that would have worked.
"""

from __future__ import annotations

import re
from typing import Iterable, Mapping

from wizard.core.support.errors import ConfigError

REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_URL_START = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def references(text: str) -> list[tuple[int, str]]:
    """Every ``${NAME}`` in text as (line number, name), in order."""
    found = []
    # One search over the whole text (a seed can be megabytes); lines are counted only up to
    # each match. Only "\n" counts: str.splitlines() also cuts at U+2028, VT, FF..., which
    # would shift line numbers. A reference never spans lines, as its pattern has no "\n".
    line, counted = 1, 0
    for match in REFERENCE.finditer(text):
        line += text.count("\n", counted, match.start())
        counted = match.start()
        found.append((line, match.group(1)))
    return found


def check_references(text: str, known: Iterable[str], source: str) -> None:
    """Raise ConfigError at the first reference to a name that is not declared."""
    known = set(known)
    for number, name in references(text):
        if name not in known:
            raise ConfigError(f"unknown name ${{{name}}}", _suggest(name, known), where=f"{source}:{number}")


def substitute(text: str, values: Mapping[str, str], source: str) -> str:
    """Replace every ``${NAME}`` with its value; unknown names fail before anything is replaced.

    A value is data, never syntax: inside a URL (after ``scheme://`` on the same line)
    it is percent-encoded, so a password holding ``@``, ``/`` or ``?`` stays a password.
    """
    check_references(text, values.keys(), source)

    def value_for(match: re.Match[str]) -> str:
        value = values[match.group(1)]
        line_start = text.rfind("\n", 0, match.start()) + 1
        if _URL_START.search(text, line_start, match.start()):
            from urllib.parse import quote

            return quote(value, safe="")
        return value

    return REFERENCE.sub(value_for, text)


def _suggest(name: str, known: set[str]) -> str:
    import difflib  # only for a misspelt name: every `up` loads this module

    close = difflib.get_close_matches(name, sorted(known), n=1)
    if close:
        return f"did you mean ${{{close[0]}}}? Names come from [secrets] and [settings] in stack.toml"
    return "declare it under [secrets] or [settings] in stack.toml, or fix the spelling"
