"""Split an SQL script into statements the way ``psql -f`` does.

psql does not send a file to the server in one piece: its lexer cuts the text at
semicolons that sit outside strings, comments, dollar-quoted bodies, parentheses
and ``BEGIN ATOMIC ... END`` function bodies; it reads the data lines of
``COPY ... FROM stdin;`` itself up to ``\\.``; and it runs backslash meta-commands
on the client. This module reproduces that lexer (PostgreSQL 15's psqlscan.l) for
everything ``pg_dump`` writes in plain format, so seeds run statement by statement
with exact ``file:line`` positions.

psql lexes each statement with the server's current ``standard_conforming_strings``
(which decides whether a backslash escapes inside ``'...'``). The scanner starts from the
view it is given and follows the ``SET`` statements it recognises; the seed runner reads the
server's view after each statement that may change it and splits the rest again when the two
differ (``split_script(..., start=)``), so each statement is cut as psql would cut it.

Not reproduced on purpose: psql variables (``:name``), because pg_dump never
writes them and seeds take ``${NAME}`` references instead.

The scanner jumps between the few characters that matter with compiled regular
expressions. Most of a seed (words, plain strings, comments, parenthesised rows of an
INSERT) is skipped by one further expression, ``_PLAIN_RUN``, in C and in one call;
the Python loop below only sees what that expression leaves to it (semicolons,
dollar quotes, unbalanced or deep parentheses, anything unterminated), and handles
it as psql does. So the per-character cost stays in C, not in the interpreter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Iterator


class ScriptError(ValueError):
    """The script cannot be split (an unterminated string, comment or body)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class Statement:
    """One SQL statement as psql would send it, with the line it starts on."""

    sql: str
    line: int
    # COPY ... FROM stdin: the data lines that followed, without the closing \. line.
    copy_data: str | None = None
    data_line: int = 0  # the file line of the first data line
    # Whether '...' strings were standard (backslash literal) where this statement stands.
    standard_strings: bool = True
    end: int = 0  # the text position just after the statement (after its COPY data)

    @cached_property  # asked for three times per statement (transaction control, batching)
    def first_words(self) -> tuple[str, ...]:
        """The first two keywords, lower case (``("create", "table")``), comments skipped."""
        return tuple(word.lower() for word in _WORDS.findall(_strip_comments(self.sql[:200]))[:2])

    @cached_property
    def may_change_strings(self) -> bool:
        """Could running this statement change ``standard_conforming_strings`` for the next one?

        Any statement naming the setting near its start (SET, SET LOCAL, set_config, RESET) or
        resetting everything; the runner sends such a statement alone and asks the server
        afterwards. Only the start is read (a case-blind search of a 100 kB INSERT costs more
        than sending it): a change hidden deeper is still caught, since the runner compares the
        server's setting after every batch and runs a batch that moved it again one by one.
        """
        head = self.sql[:400].lower()
        return "standard_conforming_strings" in head or ("reset" in head and bool(_RESET_ALL.search(head)))


@dataclass(frozen=True)
class MetaCommand:
    """A psql backslash command such as ``\\connect db`` or ``\\restrict KEY``."""

    name: str
    argument: str
    line: int


Item = Statement | MetaCommand

# Characters that can change the lexer's state, found in one C-speed search.
_SPECIAL = re.compile(r"""--|/\*|[;'"$()\\]|(?<![\w$])[eE](?=')""")
# Inside CREATE FUNCTION/PROCEDURE psql also watches keywords, for BEGIN ATOMIC bodies.
_SPECIAL_IN_ROUTINE = re.compile(r"""--|/\*|[;'"$()\\]|(?<![\w$])[eE](?=')|(?<![\w$])[A-Za-z_\x80-\uffff][\w$]*""")
_ROUTINE_START = re.compile(
    r"create(?:\s|--[^\n]*\n|/\*.*?\*/)+(?:or(?:\s|--[^\n]*\n|/\*.*?\*/)+replace(?:\s|--[^\n]*\n|/\*.*?\*/)+)?"
    r"(?:function|procedure)\b",
    re.IGNORECASE | re.DOTALL,
)
_LEADING = re.compile(r"(?:\s+|--[^\n]*)*")
_STANDARD_STRING = re.compile(r"[^']*(?:''[^']*)*'")
_ESCAPE_STRING = re.compile(r"[^'\\]*(?:(?:\\.|'')[^'\\]*)*'", re.DOTALL)
_QUOTED_IDENTIFIER = re.compile(r'[^"]*(?:""[^"]*)*"')
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_\x80-\uffff][\w\x80-\uffff]*)?\$")
_COMMENT_EDGE = re.compile(r"/\*|\*/")
_COPY_FROM_STDIN = re.compile(r"copy\b.*\bfrom\s+stdin\b", re.IGNORECASE | re.DOTALL)
_COPY_END = re.compile(r"^\\\.\r?$", re.MULTILINE)
_STD_STRINGS = re.compile(r"set\s+(?:session\s+|local\s+)?standard_conforming_strings\s*(?:=|to)\s*"
                          r"'?(on|off|true|false|yes|no|1|0)'?", re.IGNORECASE)
_RESET_ALL = re.compile(r"\breset\s+all\b")
_WORDS = re.compile(r"[A-Za-z_]+")


def _plain_run(string_body: str) -> re.Pattern[str]:
    """Text the statement loop would walk through without changing its state, matched whole.

    Every alternative is possessive: when one cannot finish (an unterminated string,
    a dollar quote, a nested comment, parentheses deeper than three) the run simply
    stops there and the loop's own token handling takes over at that very place, so
    the result is the loop's, only reached with fewer steps. ``;`` only belongs to a
    run inside parentheses, where it does not end the statement.
    """
    # The most frequent first: the engine tries the alternatives in this order.
    atom = (r"[^;'\"$()\\/\-\w]++"               # spaces, commas, operators: nothing that matters
            r"|(?![eE]')\w[\w$]*+"                 # a word (a $ inside it is part of it)
            rf"|'{string_body}'"                   # '...' as standard_conforming_strings says
            r"|(?<![\w$])[eE]'[^'\\]*+(?:(?:\\.|'')[^'\\]*+)*+'"  # E'...' escape string
            r'|"[^"]*+(?:""[^"]*+)*+"'              # "identifier"
            r"|--[^\n]*+|-(?!-)|/(?!\*)")
    group = rf"\((?:{atom}|;)*+\)"
    for _ in range(2):
        group = rf"\((?:{atom}|;|{group})*+\)"
    return re.compile(rf"(?:{atom}|{group})*+", re.DOTALL)


_PLAIN_RUN = {True: _plain_run(r"[^']*+(?:''[^']*+)*+"),
              False: _plain_run(r"[^'\\]*+(?:(?:\\.|'')[^'\\]*+)*+")}
_META = re.compile(r"\\([A-Za-z!?.;]+|\\)?[ \t]*([^\n]*)")


def split_script(text: str, *, standard_strings: bool = True, start: int = 0) -> list[Item]:
    """Every statement and meta-command of a script from position start, in order.

    standard_strings is the server's setting where start stands (psql's view);
    raise ScriptError if the text cannot be split.
    """
    return list(scan_script(text, standard_strings=standard_strings, start=start))


def scan_script(text: str, *, standard_strings: bool = True, start: int = 0) -> Iterator[Item]:
    """split_script one item at a time: what came before a ScriptError has been yielded."""
    return _Scanner(text, standard_strings).items(start)


def is_copy_from_stdin(sql: str) -> bool:
    """Does this statement make the server wait for COPY data from the client?"""
    return bool(_COPY_FROM_STDIN.match(_strip_comments(sql)))


def _strip_comments(sql: str) -> str:
    return _LEADING_COMMENTS.sub("", sql, count=1)


_LEADING_COMMENTS = re.compile(r"^(?:\s+|--[^\n]*|/\*.*?\*/)*", re.DOTALL)


class _Scanner:
    """psqlscan.l's statement lexer over one in-memory script."""

    def __init__(self, text: str, standard_strings: bool = True) -> None:
        self.text = text
        self.standard_strings = standard_strings
        self._line = 1
        self._line_pos = 0

    def line_at(self, pos: int) -> int:
        """1-based line of a position; positions are asked for in increasing order."""
        if pos < self._line_pos:
            self._line, self._line_pos = 1, 0
        self._line += self.text.count("\n", self._line_pos, pos)
        self._line_pos = pos
        return self._line

    def items(self, pos: int = 0):
        text, end = self.text, len(self.text)
        while True:
            # psql drops whitespace and -- comments between statements; /* */ ones it sends.
            start = _LEADING.match(text, pos).end()
            if start >= end:
                return
            if text[start] == "\\":
                yield self.meta_command(start)
                pos = self._meta_end
                continue
            pos, statement = self.statement(start)
            if statement is None:
                continue
            if is_copy_from_stdin(statement.sql):
                pos, statement = self.copy_data(statement, pos)
            elif setting := _STD_STRINGS.match(_strip_comments(statement.sql)):
                self.standard_strings = setting.group(1).lower() in ("on", "true", "yes", "1")
            yield statement

    def statement(self, start: int) -> tuple[int, Statement | None]:
        """Scan from start to the semicolon that ends the statement (or the end of the text)."""
        text, end = self.text, len(self.text)
        line = self.line_at(start)
        in_routine = bool(_ROUTINE_START.match(text, start))
        search = (_SPECIAL_IN_ROUTINE if in_routine else _SPECIAL).search
        # In a routine body every keyword may matter (BEGIN ATOMIC), so no run is skipped there.
        skip = None if in_routine else _PLAIN_RUN[self.standard_strings].match
        paren_depth = begin_depth = 0
        pos = start
        while True:
            if skip is not None:
                pos = skip(text, pos).end()
            match = search(text, pos)
            if match is None:
                # psql sends what is left at the end of the file even without a semicolon.
                sql = text[start:].rstrip()
                return end, (Statement(sql, line, standard_strings=self.standard_strings, end=end) if sql else None)
            token, at = match.group(), match.start()
            pos = match.end()
            if token == ";":
                if paren_depth == 0 and begin_depth == 0:
                    return pos, Statement(text[start:pos], line, standard_strings=self.standard_strings, end=pos)
            elif token == "--":
                newline = text.find("\n", pos)
                pos = end if newline < 0 else newline + 1
            elif token == "/*":
                pos = self.block_comment(at)
            elif token == "'":
                pos = self.quoted(_ESCAPE_STRING if not self.standard_strings else _STANDARD_STRING,
                                  pos, at, "quoted string")
            elif token in ("e", "E"):
                pos = self.quoted(_ESCAPE_STRING, pos + 1, at, "quoted string")
            elif token == '"':
                pos = self.quoted(_QUOTED_IDENTIFIER, pos, at, "quoted identifier")
            elif token == "$":
                pos = self.dollar(at)
            elif token == "(":
                paren_depth += 1
            elif token == ")":
                paren_depth = max(0, paren_depth - 1)
            elif token == "\\":
                raise ScriptError(
                    f"psql meta-command {text[at:at + 20].split()[0]} inside a statement is not supported",
                    self.line_at(at))
            elif paren_depth == 0:
                # A keyword inside CREATE FUNCTION/PROCEDURE: track BEGIN ATOMIC ... END like psql.
                word = token.lower()
                if word == "begin":
                    begin_depth += 1
                elif word == "case" and begin_depth >= 1:
                    begin_depth += 1
                elif word == "end" and begin_depth > 0:
                    begin_depth -= 1

    def quoted(self, pattern: re.Pattern[str], pos: int, opened_at: int, what: str) -> int:
        match = pattern.match(self.text, pos)
        if match is None:
            raise ScriptError(f"unterminated {what}", self.line_at(opened_at))
        return match.end()

    def block_comment(self, opened_at: int) -> int:
        depth, pos = 1, opened_at + 2
        while depth:
            match = _COMMENT_EDGE.search(self.text, pos)
            if match is None:
                raise ScriptError("unterminated /* comment", self.line_at(opened_at))
            depth += 1 if match.group() == "/*" else -1
            pos = match.end()
        return pos

    def dollar(self, at: int) -> int:
        text = self.text
        if at > 0 and (text[at - 1].isalnum() or text[at - 1] in "_$"):
            return at + 1  # part of an identifier such as foo$bar
        match = _DOLLAR_TAG.match(text, at)
        if match is None:
            return at + 1  # a parameter like $1
        tag = match.group()
        close = text.find(tag, match.end())
        if close < 0:
            raise ScriptError(f"unterminated dollar-quoted string {tag}", self.line_at(at))
        return close + len(tag)

    def meta_command(self, start: int) -> MetaCommand:
        match = _META.match(self.text, start)
        self._meta_end = match.end()
        return MetaCommand(name=match.group(1) or "", argument=match.group(2).strip(), line=self.line_at(start))

    def copy_data(self, statement: Statement, pos: int) -> tuple[int, Statement]:
        """Attach the data lines after COPY ... FROM stdin; up to the \\. line (or the end)."""
        text, end = self.text, len(self.text)
        newline = text.find("\n", pos)
        rest = text[pos:end if newline < 0 else newline]
        if rest.strip():
            raise ScriptError("text after COPY ... FROM stdin; on the same line; start the data on the next line",
                              self.line_at(pos))
        data_start = end if newline < 0 else newline + 1
        data_line = self.line_at(data_start)
        terminator = _COPY_END.search(text, data_start)
        data_end, after = (terminator.start(), terminator.end()) if terminator else (end, end)
        return after, Statement(statement.sql, statement.line, copy_data=text[data_start:data_end],
                                data_line=data_line, standard_strings=statement.standard_strings, end=after)


# Meta-commands that change nothing on the server: skipped. pg_dump 15.14+ writes
# \restrict/\unrestrict around every dump to stop injected meta-commands; we never run
# any meta-command, so skipping them keeps that guarantee.
_HARMLESS_META = frozenset({"restrict", "unrestrict", "echo", "qecho", "warn", "timing"})
_HARMLESS_SET_VARIABLES = frozenset({"ON_ERROR_STOP", "ECHO", "ECHO_HIDDEN", "VERBOSITY", "SHOW_CONTEXT", "QUIET"})


def meta_command_refusal(meta: MetaCommand) -> str:
    """Why a meta-command cannot run as a seed ("" when it is harmless and can be skipped)."""
    name = meta.name
    if name in _HARMLESS_META:
        return ""
    if name == "set" and meta.argument.split()[:1] and meta.argument.split()[0] in _HARMLESS_SET_VARIABLES:
        return ""
    if name == "encoding" and meta.argument.replace("-", "").upper() in ("UTF8", "UNICODE"):
        return ""
    if name in ("c", "connect"):
        return ("\\connect is not supported: seeds run against the step's database "
                "(dump one database with pg_dump, not pg_dumpall)")
    return f"psql meta-command \\{name} is not supported in seeds (only \\restrict, \\unrestrict, \\echo are skipped)"
