"""Applying SQL seeds against `psql -v ON_ERROR_STOP=1 -1 -f` of the same files, same server.

About 5 MB in 2,000 statements over 20 files in ordered folders: tables, plpgsql
functions, triggers, multi-row INSERTs with quoted text, and COPY blocks. Each side
gets a fresh database per run; the median of RUNS runs is compared.

Run: .venv/bin/python tests/bench/bench_seeds.py   (goal: ratio <= 1.5)
Server: $LAUNCHER_TEST_PG_DSN or postgresql://postgres:launcher-test@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.integration.pg_fixtures import fresh_database  # noqa: E402
from wizard.core.seeds.postgres.apply import apply_seeds  # noqa: E402

ADMIN_DSN = os.environ.get("LAUNCHER_TEST_PG_DSN", "postgresql://postgres:launcher-test@127.0.0.1:5432/postgres")
RUNS = 5
FILES = 20
STATEMENTS_PER_FILE = 100  # 2,000 in all


def write_seeds(root: Path) -> tuple[int, int]:
    """The benchmark seeds; returns (bytes, statements)."""
    total_bytes = total_statements = 0
    filler = "lorem ipsum; dolor 'sit' amet $x$ " * 4
    quoted = filler.replace("'", "''")
    for number in range(FILES):
        table = f"public.t{number:02d}"
        parts = [f"CREATE TABLE {table} (id int PRIMARY KEY, name text NOT NULL, note text, n numeric);",
                 f"CREATE FUNCTION public.f{number:02d}() RETURNS trigger LANGUAGE plpgsql AS $body$\n"
                 f"BEGIN\n  NEW.name := trim(NEW.name); -- keep; tidy\n  RETURN NEW;\nEND;\n$body$;",
                 f"CREATE TRIGGER t{number:02d}_trim BEFORE INSERT ON {table} "
                 f"FOR EACH ROW EXECUTE FUNCTION public.f{number:02d}();"]
        row_id = 0
        while len(parts) < STATEMENTS_PER_FILE - 1:
            rows = []
            for _ in range(12):
                row_id += 1
                rows.append(f"({row_id}, ' name {row_id} ', E'{quoted}\\n{row_id}''s', {row_id}.5)")
            parts.append(f"INSERT INTO {table} (id, name, note, n) VALUES\n  " + ",\n  ".join(rows) + ";")
        copy_rows = "".join(f"{row_id + i}\tcopied {i}\t{filler}\t{i}\n" for i in range(1, 400))
        parts.append(f"COPY {table} (id, name, note, n) FROM stdin;\n{copy_rows}\\.")
        text = "\n\n".join(parts) + "\n"
        folder = root / f"{number // 5 * 10:02d}_part"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{number:02d}.sql").write_text(text)
        total_bytes += len(text.encode())
        total_statements += len(parts)
    return total_bytes, total_statements


def run_psql(root: Path) -> float:
    with fresh_database(ADMIN_DSN) as dsn:
        started = time.perf_counter()
        for file in sorted(root.rglob("*.sql")):
            subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f", str(file), "-d", dsn],
                           check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - started


def run_psql_one_file(root: Path) -> float:
    """A stricter reference: everything in one psql process and one transaction."""
    joined = root.parent / f"{root.name}-all.sql"
    joined.write_text("".join(file.read_text() for file in sorted(root.rglob("*.sql"))))
    with fresh_database(ADMIN_DSN) as dsn:
        started = time.perf_counter()
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f", str(joined), "-d", dsn],
                       check=True, stdout=subprocess.DEVNULL)
        elapsed = time.perf_counter() - started
    joined.unlink()
    return elapsed


def run_launcher(root: Path) -> float:
    with fresh_database(ADMIN_DSN) as dsn:
        started = time.perf_counter()
        outcomes = list(apply_seeds(dsn, root, {}))
        elapsed = time.perf_counter() - started
        assert len(outcomes) == FILES and all(o.action == "applied" for o in outcomes)
        return elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        size, statements = write_seeds(root)
        print(f"seeds: {FILES} files, {statements} statements, {size / 1e6:.1f} MB")
        run_psql(root), run_launcher(root)  # warm caches and connections once
        reference = statistics.median(run_psql(root) for _ in range(RUNS))
        one_file = statistics.median(run_psql_one_file(root) for _ in range(RUNS))
        ours = statistics.median(run_launcher(root) for _ in range(RUNS))
    print(f"psql -1 -f per file    median {reference:6.2f} s")
    print(f"psql -1 -f all-in-one  median {one_file:6.2f} s")
    print(f"launcher apply_seeds   median {ours:6.2f} s")
    print(f"ratio {ours / reference:.2f} against psql per file (goal <= 1.5); "
          f"{ours / one_file:.2f} against one psql run")


if __name__ == "__main__":
    main()
