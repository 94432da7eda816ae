"""``${NAME}`` in a seed statement: a value inside a string literal, never SQL.

A reference is allowed only inside a single-quoted string literal (``'...'`` or
``E'...'``). The literal holding it is rewritten as an escape string, ``E'...'``, whose
meaning does not depend on any setting: ``standard_conforming_strings`` decides how the
server reads ``'...'``, never ``E'...'``. The value goes in with every backslash and quote
escaped (``\\``, ``''``), the literal's own text converted from the kind it was written as
(``standard_strings`` says how a plain ``'...'`` reads where the statement stands). So
whatever the value holds and whatever the session or database turned the setting to, the
value stays inside its literal: at worst the file's own text reads otherwise, never the value.
Anywhere else (bare SQL, an identifier, a dollar-quoted body whose inner quoting is unknown,
a ``U&''``, ``B''``, ``X''`` or ``N''`` literal) it is refused with ``file:line`` before
anything runs. References in comments are left as written.
"""

from __future__ import annotations

import re
from typing import Mapping

from wizard.core.manifest.interpolate import REFERENCE

# The characters where the lexical context can change, and the bodies of each context
# (the same rules as wizard.core.seeds.postgres.splitter, which split the statement).
_CONTEXT = re.compile(r"""--|/\*|'|"|\$|(?<![\w$])[eE](?=')""")
_STANDARD_BODY = re.compile(r"(?:[^']|'')*")
_ESCAPE_BODY = re.compile(r"(?:[^'\\]|\\.|'')*", re.DOTALL)
_IDENTIFIER_BODY = re.compile(r'(?:[^"]|"")*"')
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_\x80-\uffff][\w\x80-\uffff]*)?\$")
_COMMENT_EDGE = re.compile(r"/\*|\*/")
# Characters that would join an E'...' before them into one token (DATE'x' is a typed literal).
_JOINS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")


class MisplacedReference(ValueError):
    """A ``${NAME}`` where a value would become SQL; ``offset`` is its place in the statement."""

    def __init__(self, name: str, context: str, offset: int) -> None:
        super().__init__(f"${{{name}}} {context}")
        self.name = name
        self.context = context
        self.offset = offset


def bind_references(sql: str, values: Mapping[str, str], *, standard_strings: bool = True) -> str:
    """``sql`` with every ``${NAME}`` inside a string literal replaced by its escaped value.

    Raises MisplacedReference for a reference outside a string literal, and
    ValueError for a value PostgreSQL cannot hold in text (a NUL character).
    """
    if "${" not in sql:
        return sql
    out: list[str] = []
    pos, end = 0, len(sql)
    while pos < end:
        match = _CONTEXT.search(sql, pos)
        if match is None:
            _refuse_in_code(sql, pos, end)
            out.append(sql[pos:])
            break
        token, at = match.group(), match.start()
        _refuse_in_code(sql, pos, at)
        out.append(sql[pos:at])
        if token == "--":
            newline = sql.find("\n", at)
            stop = end if newline < 0 else newline + 1
        elif token == "/*":
            stop = _block_comment_end(sql, at)
        elif token == '"':
            body = _IDENTIFIER_BODY.match(sql, at + 1)
            stop = body.end() if body else end
            _refuse_in(sql, at, stop, "inside a quoted identifier")
        elif token == "$":
            stop = _dollar_end(sql, at)
            _refuse_in(sql, at, stop, "inside a dollar-quoted body (its own quoting is unknown): "
                                      "move the value into a plain '...' literal")
        else:
            escapes = token in "eE" or not standard_strings
            opening = at + (2 if token in "eE" else 1)
            body = (_ESCAPE_BODY if escapes else _STANDARD_BODY).match(sql, opening)
            stop = min(body.end() + 1, end)
            if REFERENCE.search(body.group()) is None:
                out.append(sql[at:stop])
            else:
                _refuse_prefixed(sql, at, body)
                out.append(_escape_string(body, values, escapes, spaced=at > 0 and sql[at - 1] in _JOINS))
            pos = stop
            continue
        out.append(sql[at:stop])
        pos = stop
    return "".join(out)


def _escape_string(body: re.Match[str], values: Mapping[str, str], escapes: bool, *, spaced: bool) -> str:
    """``E'...'`` holding the body (written with or without backslash escapes) with its references bound."""
    def escaped(text: str) -> str:
        return text.replace("\\", "\\\\")

    def bound(found: re.Match[str]) -> str:
        value = values[found.group(1)]
        if "\x00" in value:
            raise ValueError("holds a NUL character, which PostgreSQL text cannot store")
        return escaped(value).replace("'", "''")

    parts, pos, start, body = [], 0, body.start(), body.group()
    for found in REFERENCE.finditer(body):
        text = body[pos:found.start()]
        if escapes and (len(text) - len(text.rstrip("\\"))) % 2:
            # After an unpaired backslash the value's first character would be escaped by it.
            raise MisplacedReference(found.group(1), "right after a backslash escape: put the value elsewhere "
                                     "in the literal", start + found.start())
        parts.append(text if escapes else escaped(text))
        parts.append(bound(found))
        pos = found.end()
    parts.append(body[pos:] if escapes else escaped(body[pos:]))
    return f"{' ' if spaced else ''}E'{''.join(parts)}'"


def _refuse_prefixed(sql: str, at: int, body: re.Match[str]) -> None:
    """U&'...', B'...', X'...', N'...': a literal whose prefix an E cannot join."""
    before = sql[max(0, at - 2):at]
    if before.endswith("&") or (before[-1:] in ("b", "B", "x", "X", "n", "N")
                                and (len(before) < 2 or not (before[0].isalnum() or before[0] in "_$"))):
        found = REFERENCE.search(body.group())
        raise MisplacedReference(found.group(1), f"inside a {before.strip()}'...' literal: a value may only "
                                 "stand inside a plain '...' or E'...'", body.start() + found.start())


def _refuse_in_code(sql: str, start: int, stop: int) -> None:
    _refuse_in(sql, start, stop, "outside a string literal: a value may only stand inside '...'")


def _refuse_in(sql: str, start: int, stop: int, context: str) -> None:
    found = REFERENCE.search(sql, start, stop)
    if found:
        raise MisplacedReference(found.group(1), context, found.start())


def _block_comment_end(sql: str, at: int) -> int:
    depth, pos = 1, at + 2
    while depth:
        edge = _COMMENT_EDGE.search(sql, pos)
        if edge is None:
            return len(sql)
        depth += 1 if edge.group() == "/*" else -1
        pos = edge.end()
    return pos


def _dollar_end(sql: str, at: int) -> int:
    if at > 0 and (sql[at - 1].isalnum() or sql[at - 1] in "_$"):
        return at + 1
    if REFERENCE.match(sql, at):
        raise MisplacedReference(REFERENCE.match(sql, at).group(1),
                                 "outside a string literal: a value may only stand inside '...'", at)
    tag = _DOLLAR_TAG.match(sql, at)
    if tag is None:
        return at + 1
    close = sql.find(tag.group(), tag.end())
    return len(sql) if close < 0 else close + len(tag.group())
