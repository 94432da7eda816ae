"""psql and the Postgres tools run inside a server's own container (never a host client: versions must match)."""

from __future__ import annotations

from wizard.core.support.errors import PreflightFailed


class UpgradeFailed(PreflightFailed):
    """The new volume could not be written or did not verify; nothing was switched."""


def psql(container, database: str, query: str) -> str:
    """A query's rows, unaligned, one per line."""
    return psql_many(container, database, ["-c", query])


def psql_many(container, database: str, commands: list[str]) -> str:
    """The output of psql's ``-c`` commands, run in order in one session, unaligned rows."""
    return run_in(container, ["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-U", "postgres", "-d", database,
                              *commands], "psql").decode()


def databases(container) -> list[str]:
    return psql(container, "postgres", "SELECT datname FROM pg_database WHERE datallowconn "
                                       "AND NOT datistemplate ORDER BY 1").splitlines()


def run_in(container, argv: list[str], what: str) -> bytes:
    result = container.exec_run(argv, user="postgres", demux=True)
    out, err = result.output
    if result.exit_code != 0:
        last = (err or b"").decode(errors="replace").strip().splitlines()[-1:] or ["(no output)"]
        raise UpgradeFailed(f"{what} failed in {container.name}: {last[0]}", "the old volume is untouched")
    return out or b""


def last_line(text: str) -> str:
    """A tool's last non-empty line: where compose, psql and pg_dumpall say what went wrong."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""
