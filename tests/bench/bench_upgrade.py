"""`launcher upgrade` of Postgres 15 -> 17 against plain `pg_dump | pg_restore` of the same database.

Run: .venv/bin/python tests/bench/bench_upgrade.py   (goal: ratio <= 1.5, the verification included)
A stack of one group (the engine test stack's postgres, launcher-test/postgres:15) holds
ROWS rows. The reference pipes the old server's own `pg_dump -Fc` into `pg_restore` in a
17 server already running, as a careful user would by hand, and verifies nothing. Ours:
1. the major move itself (majors.copy_to_new_volume: a temporary 17 server on a new
   volume, pg_dumpall streamed into it, then roles, row counts, sequences, functions,
   triggers and extensions compared) — the work the reference does, plus the checks;
2. the whole `launcher upgrade --yes`: also the snapshot before, the switch, the
   recreate and the wait for health.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench_snapshot import free_port, write_stack
from synthetic_stack import LAUNCHER

ROWS = 1_500_000  # about 150 MB in the table: the copy, not the fixed costs, is what is measured
OLD, NEW = "launcher-test/postgres:15", "launcher-test/postgres17:17"
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def psql(container: str, sql: str) -> str:
    return subprocess.run(["docker", "exec", "-u", "postgres", container, "psql", "-X", "-At", "-q", "-c", sql],
                          check=True, capture_output=True, text=True).stdout.strip()


def reference_copy(old: str) -> float:
    """pg_dump -Fc of the old server piped into pg_restore of a fresh, running 17 server."""
    target = subprocess.run(["docker", "run", "-d", "--network", "none", "-e", "POSTGRES_PASSWORD=bench", NEW],
                            check=True, capture_output=True, text=True).stdout.strip()
    try:
        while subprocess.run(["docker", "exec", target, "pg_isready", "-q", "-h", "127.0.0.1"]).returncode != 0:
            time.sleep(0.3)
        start = time.perf_counter()
        dump = subprocess.Popen(["docker", "exec", "-u", "postgres", old, "pg_dump", "-Fc", "postgres"],
                                stdout=subprocess.PIPE)
        subprocess.run(["docker", "exec", "-i", "-u", "postgres", target, "pg_restore", "-d", "postgres"],
                       stdin=dump.stdout, check=True, capture_output=True)
        assert dump.wait() == 0
        elapsed = time.perf_counter() - start
        assert psql(target, "SELECT count(*) FROM bulk") == str(ROWS)
        return elapsed
    finally:
        subprocess.run(["docker", "rm", "-f", "-v", target], capture_output=True)


def main() -> None:
    from wizard.core.docker.composeengine import ComposeEngine
    from wizard.core.manifest.stack import load_stack
    from wizard.core.upgrade import majors
    from wizard.core.upgrade.plan import make_plan

    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp) / "stack"
        folder.mkdir()
        project = f"lb{uuid.uuid4().hex[:8]}"
        write_stack(folder, project, free_port())
        try:
            subprocess.run([LAUNCHER, "up", "--pull", "never"], cwd=folder, check=True, capture_output=True)
            stack = load_stack(folder / "stack.toml")
            engine = ComposeEngine(stack)
            old = engine.client.containers.list(filters={"label": f"com.docker.compose.project={project}"})[0]
            psql(old.id, f"CREATE TABLE bulk AS SELECT g AS id, md5(g::text) AS body, now() AS at "
                         f"FROM generate_series(1, {ROWS}) g; ALTER TABLE bulk ADD PRIMARY KEY (id)")
            size = int(psql(old.id, "SELECT pg_database_size('postgres')"))
            reference = reference_copy(old.id)

            db = folder / "compose" / "db.yml"
            db.write_text(db.read_text().replace(OLD, NEW))
            [change] = make_plan(stack, ComposeEngine(stack)).majors
            start = time.perf_counter()
            copying = majors.copy_to_new_volume(engine.client, change, old, "0123456789abcdef")
            while True:
                try:
                    next(copying)
                except StopIteration as stop:
                    volume, _figures = stop.value
                    break
            copy = time.perf_counter() - start
            engine.client.volumes.get(volume).remove(force=True)

            start = time.perf_counter()
            subprocess.run([LAUNCHER, "upgrade", "--yes"], cwd=folder, check=True, capture_output=True)
            whole = time.perf_counter() - start
        finally:
            subprocess.run([LAUNCHER, "down", "--volumes", "--yes"], cwd=folder, capture_output=True)
    print(f"database {size / 1e6:.0f} MB, {ROWS} rows, one run each")
    print(f"pg_dump -Fc | pg_restore into a running 17 server      {reference:6.2f} s")
    print(f"launcher's major move (new volume, copy, verification) {copy:6.2f} s  ratio {copy / reference:.2f} (goal <= 1.5)")
    print(f"launcher upgrade --yes (plus snapshot, switch, health)  {whole:6.2f} s  ratio {whole / reference:.2f}")


if __name__ == "__main__":
    main()
