"""``${NAME}`` in a seed statement: a value inside a string literal, never SQL.

A reference is allowed only inside a single-quoted string literal (``'...'`` or
``E'...'``), where the value is escaped as a literal of that kind: quotes doubled,
and backslashes doubled where backslash is an escape character. Quoting cannot
undo that: whatever the value holds, it stays inside its literal. Anywhere else (bare SQL, an
identifier, a dollar-quoted body whose inner quoting is unknown) it is refused
with ``file:line`` before anything runs. References in comments are left as written.
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
            out.append(sql[at:opening])
            out.append(REFERENCE.sub(lambda found: _literal(values[found.group(1)], escapes), body.group()))
            out.append(sql[body.end():stop])
            pos = stop
            continue
        out.append(sql[at:stop])
        pos = stop
    return "".join(out)


def _literal(value: str, escapes: bool) -> str:
    if "\x00" in value:
        raise ValueError("holds a NUL character, which PostgreSQL text cannot store")
    if escapes:
        value = value.replace("\\", "\\\\")
    return value.replace("'", "''")


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
