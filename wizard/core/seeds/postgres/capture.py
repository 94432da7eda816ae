"""``launcher seed capture``: an existing database's schema as ordered seed files.

``pg_dump --schema-only`` writes every object in dependency order under a table-of-
contents header (``-- Name: x; Type: TABLE; Schema: public; Owner: -``). The dump
is cut at those headers and each entry goes to one of the ordered folders:

    00_tables/schema.sql        schemas, types, tables, sequences, constraints, indexes, grants
    10_functions/functions.sql  functions and procedures, and whatever uses one of them
                                (a view or policy calling a function comes after it)
    20_triggers/triggers.sql    triggers, including ones on other schemas' tables
                                (auth.users) that call a captured function
    30_webhooks/webhooks.sql    Supabase database webhooks: triggers calling
                                supabase_functions.http_request

Within a file entries keep pg_dump's order, so dependencies still come first.
The connection URL is handed to pg_dump without its password (that goes through
the environment) and is never written to the files or printed.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from wizard.core.support.errors import SeedFailed, UsageError

FOLDERS = {
    "tables": ("00_tables", "schema.sql"),
    "functions": ("10_functions", "functions.sql"),
    "triggers": ("20_triggers", "triggers.sql"),
    "webhooks": ("30_webhooks", "webhooks.sql"),
}
_HEADER = re.compile(r"^--\n-- (?:Data for )?Name: (?P<name>.*?); Type: (?P<type>.*?); Schema: (?P<schema>.*?);"
                     r"(?: Owner: .*?)?(?:; Tablespace: .*?)?\n--\n", re.MULTILINE)
_ROUTINE_TYPES = {"FUNCTION", "PROCEDURE", "AGGREGATE"}
_TRIGGER_TYPES = {"TRIGGER", "EVENT TRIGGER"}
_WEBHOOK_CALL = re.compile(r"\bsupabase_functions\.http_request\s*\(")
# Session settings pg_dump writes between entries; every captured file starts with them.
_SESSION_SET = re.compile(r"^SET default_(?:tablespace|table_access_method) = [^;\n]*;\n", re.MULTILINE)
_CROSS_SCHEMA_TRIGGERS = """
SELECT pg_catalog.pg_get_triggerdef(t.oid, false), n.nspname, c.relname, t.tgname
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
WHERE NOT t.tgisinternal AND n.nspname <> ALL(%(schemas)s) AND pn.nspname = ANY(%(schemas)s)
ORDER BY n.nspname, c.relname, t.tgname
"""


@dataclass(frozen=True)
class Entry:
    """One object of the dump: its table-of-contents type, name, schema and SQL."""

    type: str
    name: str
    schema: str
    sql: str


def capture(url: str, out_dir: Path, *, schemas: Iterable[str] = ("public",), overwrite: bool = False,
            pg_dump: str = "pg_dump") -> list[Path]:
    """Dump the schema of the database at url into ordered seed folders; return the files written."""
    schemas = tuple(schemas)
    targets = [out_dir / folder / name for folder, name in FOLDERS.values()]
    existing = [path for path in targets if path.exists()]
    if existing and not overwrite:
        raise UsageError(f"{existing[0]} already exists", "pass --yes to overwrite the captured files")
    dump = run_pg_dump(url, schemas, pg_dump=pg_dump)
    extra = cross_schema_triggers(url, schemas)
    files = split_dump(dump, extra, schemas)
    written = []
    for kind, text in files.items():
        folder, name = FOLDERS[kind]
        path = out_dir / folder / name
        if text:
            _write(path, text)
            written.append(path)
        elif path.exists():
            path.unlink()  # a stale capture from before would otherwise be applied again
    return written


def run_pg_dump(url: str, schemas: Iterable[str], *, pg_dump: str = "pg_dump") -> str:
    """The plain-format schema dump of the given schemas, as text."""
    conninfo, password = _without_password(url)
    env = {**os.environ, "PGCONNECT_TIMEOUT": os.environ.get("PGCONNECT_TIMEOUT", "10")}
    if password is not None:
        env["PGPASSWORD"] = password
    command = [pg_dump, "--schema-only", "--no-owner", "--format=plain", "--dbname", conninfo]
    command += [f"--schema={schema}" for schema in schemas]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise SeedFailed(f"{pg_dump} not found", "install the PostgreSQL client (apt-get install postgresql-client)"
                         " or pass --pg-dump PATH") from None
    if done.returncode != 0:
        reason = " ".join(" ".join(done.stderr.strip().splitlines()[-2:]).split()) or f"exit code {done.returncode}"
        hint = ("install a pg_dump at least as new as the server (postgresql-client-NN) and pass --pg-dump PATH"
                if "version mismatch" in reason else "check the URL, and that the server is reachable")
        raise SeedFailed(f"pg_dump failed: {reason}", hint)
    return done.stdout


def cross_schema_triggers(url: str, schemas: Iterable[str]) -> list[Entry]:
    """Triggers on tables outside the captured schemas that call a captured function.

    Supabase's classic ``on_auth_user_created`` lives on auth.users, which a dump of
    ``public`` leaves out, though it belongs to the app's schema.
    """
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as connection:
            connection.execute("SELECT pg_catalog.set_config('search_path', '', false)")
            rows = connection.execute(_CROSS_SCHEMA_TRIGGERS, {"schemas": list(schemas)}).fetchall()
    except psycopg.Error as error:
        raise SeedFailed(f"cannot read triggers: {str(error).strip().splitlines()[-1]}",
                         "check the URL, and that the server is reachable") from None
    return [Entry("TRIGGER", f"{table} {trigger}", schema, f"{definition};\n")
            for definition, schema, table, trigger in rows]


def split_dump(dump: str, extra_triggers: Iterable[Entry] = (), schemas: Iterable[str] = ("public",)
               ) -> dict[str, str]:
    """The dump's entries sorted into the four ordered files; kind -> file text ("" when empty)."""
    preamble, entries = parse_dump(dump)
    groups: dict[str, list[str]] = {kind: [] for kind in FOLDERS}
    # Objects that must come after the functions: routines, and whatever names one of them.
    late_names: list[str] = []
    late_pattern: re.Pattern[str] | None = None
    for entry in [*entries, *extra_triggers]:
        if entry.type in _TRIGGER_TYPES:
            groups["webhooks" if _WEBHOOK_CALL.search(entry.sql) else "triggers"].append(entry.sql)
            continue
        if entry.type in _ROUTINE_TYPES:
            kind = "functions"
            late_names.append(_qualified(entry.schema, entry.name.split("(")[0]) + r"\s*\(")
        elif late_pattern is not None and late_pattern.search(entry.sql):
            kind = "functions"
            if entry.schema != "-":
                late_names.append(_qualified(entry.schema, entry.name) + r"(?![\w$])")
        else:
            kind = "tables"
        if kind == "functions":
            late_pattern = re.compile("|".join(late_names))
        groups[kind].append(_idempotent_schema(entry))
    header = ("-- Captured by `launcher seed capture` (pg_dump --schema-only, schemas: "
              f"{', '.join(schemas)}).\n-- Runs as one transaction; edit freely, then `launcher seed postgres`.\n\n")
    return {kind: (header + preamble + "\n" + "\n".join(parts)) if parts else "" for kind, parts in groups.items()}


def parse_dump(dump: str) -> tuple[str, list[Entry]]:
    """The session settings that open the dump, and its entries in order."""
    # \restrict lines carry a random key: leaving them out keeps captures comparable.
    dump = re.sub(r"^\\(?:un)?restrict .*\n?", "", dump, flags=re.MULTILINE)
    settings = list(dict.fromkeys(_SESSION_SET.findall(dump)))
    dump = _SESSION_SET.sub("", dump)
    headers = list(_HEADER.finditer(dump))
    opening = dump[: headers[0].start()] if headers else dump
    preamble = "".join(line + "\n" for line in opening.splitlines()
                       if line.strip() and not line.startswith("--")) + "".join(settings)
    entries = []
    for index, header in enumerate(headers):
        end = headers[index + 1].start() if index + 1 < len(headers) else len(dump)
        sql = dump[header.end():end]
        sql = re.sub(r"\n--\n-- PostgreSQL database dump complete\n--\n.*", "\n", sql, flags=re.DOTALL)
        entries.append(Entry(header["type"], header["name"], header["schema"], sql.strip("\n") + "\n"))
    return preamble, entries


def _idempotent_schema(entry: Entry) -> str:
    # The target usually has the schema already (public always does): create it only if missing.
    if entry.type == "SCHEMA":
        return re.sub(r"^CREATE SCHEMA (?!IF NOT EXISTS)", "CREATE SCHEMA IF NOT EXISTS ", entry.sql, flags=re.M)
    return entry.sql


def _qualified(schema: str, name: str) -> str:
    """A pattern for schema.name as pg_dump writes it: quoted where the name needs quotes."""
    def forms(identifier: str) -> str:
        quoted = '"' + identifier.replace('"', '""') + '"'
        return f"(?:{re.escape(identifier)}|{re.escape(quoted)})"
    return rf"(?<![\w$.\"]){forms(schema)}\.{forms(name)}"


def _without_password(url: str) -> tuple[str, str | None]:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    try:
        params = conninfo_to_dict(url)
    except Exception:  # noqa: BLE001 - never echo a URL that may hold a password
        raise UsageError("--from is not a valid PostgreSQL URL",
                         "use postgresql://USER:PASSWORD@HOST:PORT/DBNAME") from None
    password = params.pop("password", None)
    return make_conninfo(**params), password


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
