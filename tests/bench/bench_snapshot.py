"""`launcher snapshot save` / `restore` against plain `pg_dump -Fc` / `pg_restore` of the same database.

Run: .venv/bin/python tests/bench/bench_snapshot.py   (goal: each ratio <= 1.2)
A stack of one group (the engine test stack's postgres) holds a few MB of rows.
The reference runs the server's own pg_dump and pg_restore through `docker exec`,
as a careful user would by hand; the launcher does the same plus its checksums,
manifest and, for restore, verification first and the wait for a healthy stack.
The restore replaces the whole database (dropped, created from the dump) so that
nothing made after the snapshot survives, which `pg_restore --clean` does not do;
that same work by hand is printed as a second reference.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from synthetic_stack import LAUNCHER

RUNS = 3
ROWS = 120_000  # about 8 MB in the table, 3-4 MB of compressed dump
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "engine_stack"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed(command: list[str], cwd: Path, **options) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True, **options)
    return time.perf_counter() - start


def write_stack(folder: Path, project: str, port: int) -> None:
    shutil.copytree(FIXTURE / "compose", folder / "compose")
    shutil.copytree(FIXTURE / "envtemplates", folder / "envtemplates")
    shutil.copytree(FIXTURE / "seeds", folder / "seeds")
    manifest = (FIXTURE / "stack.toml").read_text().replace('name = "enginestack"', f'name = "{project}"')
    # Only the database group: the comparison is about the database, not the other volumes.
    head, _, rest = manifest.partition("[groups.cache]")
    rest = rest[rest.index("[steps.schema]"):]
    (folder / "stack.toml").write_text(head + rest)
    subprocess.run([LAUNCHER, "init", "--non-interactive", f"--set=PG_PORT={port}", "--set=REDIS_PORT=1",
                    "--set=WEB_PORT=2"], cwd=folder, check=True, capture_output=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp) / "stack"
        folder.mkdir()
        project = f"lb{uuid.uuid4().hex[:8]}"
        write_stack(folder, project, free_port())
        compose = ["docker", "compose", "-p", project, "--env-file", str(folder / ".env"),
                   "-f", str(folder / "compose" / "db.yml")]
        try:
            subprocess.run([LAUNCHER, "up", "--pull", "never"], cwd=folder, check=True, capture_output=True)
            password = next(line.split("=", 1)[1].strip("'\"") for line in
                            (folder / ".launcher" / "values.env").read_text().splitlines()
                            if line.startswith("PG_PASSWORD="))
            container = subprocess.run([*compose, "ps", "-q", "postgres"], capture_output=True, text=True,
                                       check=True).stdout.strip()
            env = {**os.environ, "PGPASSWORD": password}
            connect = ["--host=127.0.0.1", "--username=postgres"]
            subprocess.run(["docker", "exec", "-e", "PGPASSWORD", container, "psql", *connect, "-q", "-c",
                            "CREATE TABLE bulk AS SELECT g AS id, md5(g::text) || repeat(' filler', 4) AS body, "
                            f"now() AS at FROM generate_series(1, {ROWS}) g"], env=env, check=True,
                           capture_output=True)
            dump = Path(temp) / "reference.dump"
            save_ref, save_ours, restore_ref, restore_ours, recreate_ref = [], [], [], [], []
            for run in range(RUNS):
                with dump.open("wb") as out:
                    start = time.perf_counter()
                    subprocess.run(["docker", "exec", "-e", "PGPASSWORD", container, "pg_dump", "-Fc", *connect,
                                    "postgres"], env=env, stdout=out, check=True)
                    save_ref.append(time.perf_counter() - start)
                save_ours.append(timed([LAUNCHER, "snapshot", "save", f"run{run}"], folder))
                with dump.open("rb") as source:
                    restore_ref.append(timed(["docker", "exec", "-i", "-e", "PGPASSWORD", container, "pg_restore",
                                              "--clean", "--if-exists", *connect, "--dbname=postgres"], folder,
                                             env=env, stdin=source))
                restore_ours.append(timed([LAUNCHER, "snapshot", "restore", f"run{run}", "--yes"], folder))
                # The same work as the launcher's restore: the database dropped and created from the dump.
                start = time.perf_counter()
                subprocess.run(["docker", "exec", "-e", "PGPASSWORD", container, "dropdb", "--force", *connect,
                                "--maintenance-db=template1", "postgres"], env=env, check=True, capture_output=True)
                with dump.open("rb") as source:
                    subprocess.run(["docker", "exec", "-i", "-e", "PGPASSWORD", container, "pg_restore", "--create",
                                    *connect, "--dbname=template1"], env=env, stdin=source, check=True,
                                   capture_output=True)
                recreate_ref.append(time.perf_counter() - start)
            size = dump.stat().st_size
        finally:
            subprocess.run([*compose, "down", "--volumes", "--remove-orphans"], capture_output=True)
    print(f"database dump {size / 1e6:.1f} MB (custom format), {ROWS} rows, {RUNS} runs each")
    for label, ours, reference, what in (("snapshot save", save_ours, save_ref, "pg_dump -Fc"),
                                         ("snapshot restore", restore_ours, restore_ref, "pg_restore --clean")):
        mine, theirs = statistics.median(ours), statistics.median(reference)
        print(f"launcher {label:<17} median {mine:6.2f} s  runs {[round(x, 2) for x in ours]}")
        print(f"{what:<26} median {theirs:6.2f} s  runs {[round(x, 2) for x in reference]}")
        print(f"ratio {mine / theirs:.2f} (goal <= 1.2)")
    recreated = statistics.median(recreate_ref)
    print(f"dropdb --force + pg_restore --create (what restore does to the database) median {recreated:6.2f} s  "
          f"runs {[round(x, 2) for x in recreate_ref]}")
    print(f"ratio of launcher snapshot restore to it {statistics.median(restore_ours) / recreated:.2f}")


if __name__ == "__main__":
    main()
