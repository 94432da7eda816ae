"""One prepared seed file run in one transaction, statement by statement as ``psql -1 -f`` runs it.

Statements go in batches (one query each) to spare round trips; the server parses a batch
whole with ``standard_conforming_strings`` as it was before it, so a statement that may
change that setting goes alone, and after each the server's view (which it reports to the
client) decides how the rest of the file is split: as psql, which lexes every statement
with the server's current setting.
"""

from __future__ import annotations

import re
import time

from wizard.core.support.errors import SeedFailed
from wizard.core.seeds.postgres.seedfile import Script, split_rest
from wizard.core.seeds.postgres.splitter import Statement

# Written at the end of each file's own transaction: now() is when that transaction began.
_RECORD = """
INSERT INTO {table} (path, sha256, applied_at, duration)
VALUES (%s, %s, now(), clock_timestamp() - now())
ON CONFLICT (path) DO UPDATE
SET sha256 = excluded.sha256, applied_at = excluded.applied_at, duration = excluded.duration
"""
_QUOTE_LENGTH = 160
# Statements sent together in one query (see _next_batch): few enough that a failing batch,
# run again statement by statement to find the culprit, costs little.
_BATCH_STATEMENTS = 100
_BATCH_BYTES = 256 * 1024


class SeedStatementFailed(SeedFailed):
    """A statement in a seed file failed; its one line quotes the statement (references unbound)."""

    def __init__(self, message: str, hint: str, *, where: str, statement: str) -> None:
        super().__init__(message, hint, where=where)
        self.statement = statement

    def one_line(self) -> str:
        return f"{self.where}: {self.message}; statement: {self.statement} — {self.hint}"


def apply_file(connection, script: Script, table) -> float:
    """Run one file and record it in ``table`` (a quoted SQL name), all in one transaction, in a
    session as fresh as `psql -f` gives."""
    from psycopg import sql

    started = time.monotonic()
    items, originals = list(script.items), list(script.originals)
    one_by_one, complete = _own_savepoints(items), script.complete
    with connection.transaction(), connection.cursor() as cursor:
        index = 0
        while index < len(items) or not complete:
            server_view = standard_strings(connection)
            if index == len(items) or items[index].standard_strings != server_view:
                # The server reads '...' otherwise than the split assumed (or the split had to
                # wait for its view): lex the rest as psql would now.
                start = items[index - 1].end if index else 0
                items[index:], originals[index:] = split_rest(script, start, server_view)
                complete = True
                continue
            batch = [index] if one_by_one else _next_batch(items, index)
            if len(batch) > 1 and _ran_as_one(connection, cursor, [items[i] for i in batch]):
                index = batch[-1] + 1
                continue
            _run_one(cursor, script, items[index], originals[index])
            index += 1
        # A seed may have changed role or search_path for its session; the record is ours.
        cursor.execute("SET SESSION AUTHORIZATION DEFAULT; RESET ROLE", prepare=False)
        # Never prepared: DISCARD ALL below drops prepared statements between files.
        cursor.execute(sql.SQL(_RECORD).format(table=table), (script.seed.path, script.seed.sha256), prepare=False)
    # What one file set for its session (search_path, role, temp tables) must not leak into
    # the next, as it would not between two psql runs; cheaper than a new connection.
    connection.execute("DISCARD ALL", prepare=False)
    return time.monotonic() - started


def standard_strings(connection) -> bool:
    """The server's standard_conforming_strings now (it reports every change to the client)."""
    return connection.info.parameter_status("standard_conforming_strings") != "off"


class _SettingMoved(Exception):
    """A batch changed standard_conforming_strings where its text did not say so."""


def _ran_as_one(connection, cursor, statements: list[Statement]) -> bool:
    """Send statements as one query in a savepoint; False (and nothing kept) if they must go one by one.

    The server parses a multi-statement query whole, with the setting as it was before it;
    if a statement changed the setting, psql would have read the later ones otherwise.
    """
    import psycopg

    view = statements[0].standard_strings
    try:
        with connection.transaction():
            cursor.execute("\n".join(_terminated(statement.sql) for statement in statements), prepare=False)
            if standard_strings(connection) != view:
                raise _SettingMoved
        return True
    except (psycopg.Error, _SettingMoved):
        # Run again one statement at a time below, to name the failing statement and its line.
        return False


def _run_one(cursor, script: Script, statement: Statement, original: str) -> None:
    import psycopg

    try:
        if statement.copy_data is not None:
            with cursor.copy(statement.sql) as copy:
                copy.write(statement.copy_data)
        else:
            cursor.execute(statement.sql, prepare=False)
    except psycopg.Error as error:
        raise _statement_failed(script, statement, original, error) from None


def _next_batch(items: list[Statement] | tuple[Statement, ...], index: int) -> list[int]:
    """Statement indexes from index sent as one query, to spare a round trip per statement.

    The server runs a multi-statement query one statement after the other, as psql
    sends them. Alone: COPY, a statement that may change standard_conforming_strings (psql
    reads the next one with the new setting), and every statement of a file that manages
    its own savepoints (releasing the batch's savepoint would release the file's ones).
    """
    if _alone(items[index]):
        return [index]
    batch, size = [], 0
    for position in range(index, len(items)):
        item = items[position]
        if _alone(item) or len(batch) >= _BATCH_STATEMENTS or size >= _BATCH_BYTES:
            break
        batch.append(position)
        size += len(item.sql)
    return batch


def _alone(item: Statement) -> bool:
    return item.copy_data is not None or item.may_change_strings


def _own_savepoints(items: list[Statement] | tuple[Statement, ...]) -> bool:
    return any(item.first_words[:1] in (("savepoint",), ("release",)) or item.first_words == ("rollback", "to")
               for item in items)


def _terminated(sql: str) -> str:
    # Joined with the next statement: make sure this one ends here (a trailing -- comment included).
    return sql if sql.rstrip().endswith(";") else sql + "\n;"


def _statement_failed(script: Script, statement: Statement, original: str, error) -> SeedStatementFailed:
    diag = getattr(error, "diag", None)
    message = (diag.message_primary if diag is not None and diag.message_primary else str(error)).strip()
    if diag is not None and diag.message_detail:
        message += f" ({diag.message_detail.strip()})"
    line = statement.line
    if diag is not None and diag.statement_position:
        # The server points at a character of the statement: turn it into a line of the file.
        line += statement.sql[: int(diag.statement_position) - 1].count("\n")
    copy_line = re.search(r"\bCOPY [^,]+, line (\d+)", (diag.context or "") if diag is not None else "")
    if statement.copy_data is not None and copy_line:
        line = statement.data_line + int(copy_line.group(1)) - 1
    return SeedStatementFailed(message, "fix it and run the seeds again: nothing of this file was applied, "
                               "no later file ran", where=f"{script.display}:{line}",
                               statement=_quote(original))


def _quote(sql: str) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= _QUOTE_LENGTH else flat[: _QUOTE_LENGTH - 1] + "…"
