"""One seed file (``SeedFile``) made ready to run: split as psql splits it, checked, ``${NAME}`` bound.

Everything that can be checked without the server (references, unterminated strings,
meta-commands, transaction control) is checked here, for every file before any runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from wizard.core.support.errors import SeedFailed
from wizard.core.manifest.interpolate import check_references
from wizard.core.seeds.postgres.splitter import MetaCommand, ScriptError, Statement, meta_command_refusal, split_script
from wizard.core.support.files import shown_path


@dataclass(frozen=True)
class SeedFile:
    """One ``*.sql`` file under the seeds folder."""

    path: str  # relative to the seeds folder, with / separators: the key in the tracking table
    file: Path
    sha256: str


@dataclass(frozen=True)
class Script:
    seed: SeedFile
    display: str  # path shown in errors (relative to the working directory when possible)
    items: tuple[Statement, ...]
    originals: tuple[str, ...]  # each statement as written, with ${NAME} unbound: what errors quote


def prepare(seed: SeedFile, values: Mapping[str, str]) -> Script:
    display = shown_path(seed.file.resolve(), Path.cwd())
    try:
        text = seed.file.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise SeedFailed(f"not UTF-8 text ({error.reason} at byte {error.start})",
                         "save the file as UTF-8", where=display) from None
    try:
        items = split_script(text)
    except ScriptError as error:
        raise SeedFailed(error.message, "fix the file; nothing was applied", where=f"{display}:{error.line}") from None
    # COPY data is data: a ${...} in it is kept as written, as psql would.
    check_references(_mask_copy_data(text, items), values.keys(), source=display)
    statements, originals = [], []
    for item in items:
        if isinstance(item, MetaCommand):
            refusal = meta_command_refusal(item)
            if refusal:
                raise SeedFailed(refusal, "remove that line; nothing was applied", where=f"{display}:{item.line}")
            continue
        control = _transaction_control(item)
        if control == "refuse":
            raise SeedFailed(f"{item.first_words[0].upper()} in a seed file: each file already runs in one "
                             "transaction", "remove it; nothing was applied", where=f"{display}:{item.line}")
        if control == "skip":
            continue
        statements.append(Statement(_bound(item, values, display), item.line, item.copy_data, item.data_line))
        originals.append(item.sql)
    return Script(seed, display, tuple(statements), tuple(originals))


def _bound(statement: Statement, values: Mapping[str, str], display: str) -> str:
    """The statement with its ``${NAME}`` references bound as literals (see wizard.core.seeds.postgres.binder)."""
    from wizard.core.seeds.postgres.binder import MisplacedReference, bind_references

    try:
        return bind_references(statement.sql, values, standard_strings=statement.standard_strings)
    except MisplacedReference as misplaced:
        line = statement.line + statement.sql[: misplaced.offset].count("\n")
        raise SeedFailed(str(misplaced), "nothing was applied", where=f"{display}:{line}") from None
    except ValueError as reason:
        raise SeedFailed(f"a value bound in this statement {reason}", "change that value; nothing was applied",
                         where=f"{display}:{statement.line}") from None


def _transaction_control(statement: Statement) -> str:
    """"skip" for BEGIN/COMMIT (the file's own transaction already wraps it), "refuse" for ROLLBACK."""
    words = statement.first_words
    if not words:
        return ""
    first, second = words[0], (words[1] if len(words) > 1 else "")
    if first in ("begin", "end") or (first == "commit" and second != "prepared") or \
            (first == "start" and second == "transaction"):
        return "skip"
    if first in ("rollback", "abort") and second not in ("to", "prepared"):
        return "refuse"
    return ""


def _mask_copy_data(text: str, items: list) -> str:
    """The text with COPY data lines blanked, so line numbers stay right for reference checks."""
    if "${" not in text or not any(isinstance(item, Statement) and item.copy_data for item in items):
        return text
    lines = text.split("\n")
    for item in items:
        if isinstance(item, Statement) and item.copy_data:
            for index in range(item.data_line - 1, item.data_line - 1 + item.copy_data.count("\n")):
                lines[index] = ""
    return "\n".join(lines)

