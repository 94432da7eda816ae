"""``${NAME}`` references in templates, seeds and step parameters.

One implementation for every place a declared secret or setting is substituted,
so an unknown name is reported the same way everywhere: ``file:line``, the name,
and the names that would have worked.
"""

from __future__ import annotations

import difflib
import re
from typing import Iterable, Mapping

from wizard.core.errors import ConfigError

REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def references(text: str) -> list[tuple[int, str]]:
    """Every ``${NAME}`` in text as (line number, name), in order."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        found.extend((number, match.group(1)) for match in REFERENCE.finditer(line))
    return found


def check_references(text: str, known: Iterable[str], source: str) -> None:
    """Raise ConfigError at the first reference to a name that is not declared."""
    known = set(known)
    for number, name in references(text):
        if name not in known:
            raise ConfigError(f"unknown name ${{{name}}}", _suggest(name, known), where=f"{source}:{number}")


def substitute(text: str, values: Mapping[str, str], source: str) -> str:
    """Replace every ``${NAME}`` with its value; unknown names fail before anything is replaced."""
    check_references(text, values.keys(), source)
    return REFERENCE.sub(lambda match: values[match.group(1)], text)


def _suggest(name: str, known: set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    if close:
        return f"did you mean ${{{close[0]}}}? Names come from [secrets] and [settings] in stack.toml"
    return "declare it under [secrets] or [settings] in stack.toml, or fix the spelling"
