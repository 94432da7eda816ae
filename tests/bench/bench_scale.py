"""Issue 16's table in one run: cold `up` at 10/30/60 services, the daily no-op, seeds, status.

Run: .venv/bin/python tests/bench/bench_scale.py   (about 6-10 minutes on a quiet 2-core machine)
     BENCH_RUNS=3 for more runs per measure (default 2 for the cold starts);
     BENCH_SIZES=60 for fewer sizes (the running rows use the last one; empty: none).

Rows, each printed with its samples so the machine's noise shows:
- cold `up` of the chained busybox stacks (3 groups; for compose every service of group k
  `depends_on: service_healthy` every service of group k-1), launcher against
  `docker compose up -d --wait`, each from nothing (`down` in between, then a wait for
  an idle machine), alternating which goes first;
- a no-op `up` on the running 60-service stack (seconds; goal <= 0.3 s);
- a no-op `up` on a running 5-service stack whose postgres has a 3 MB pg_dump-style seed
  applied (seconds; goal <= 0.3 s);
- seeds: bench_seeds' 5.7 MB / 2,000 statements, launcher against one `psql -1 -f` over
  all the SQL joined into one file (goal <= 1.0);
- `status --json` on the 60-service stack (seconds; goal <= 0.3 s), with `compose ps` for scale;
- with the running rows, their CPU seconds, and under the same load the floor: a bare
  `python -c pass` of the launcher's interpreter and `launcher --version`.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import bench_seeds
from synthetic_stack import LAUNCHER, compose, compose_files, remove, write_stack
from timing import settle, time_runs, wall_and_cpu_runs

SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "10,30,60").split(",") if n)
COLD_RUNS = int(os.environ.get("BENCH_RUNS", "2"))
WARM_RUNS = 7
POSTGRES = "launcher-test/postgres:15"
BUSYBOX = "launcher-test/busybox:1"
PYTHON = str(Path(LAUNCHER).with_name("python"))  # the launcher's own interpreter, site-packages and all


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def shown(samples: list[float]) -> str:
    return f"median {statistics.median(samples):6.2f} s  runs {[round(s, 2) for s in samples]}"


def down(folder: Path, project: str) -> None:
    """`compose down`, tried again once: a loaded engine sometimes refuses the network the first time."""
    try:
        remove(folder, project)
    except subprocess.CalledProcessError:
        time.sleep(5)
        try:
            remove(folder, project)
        except subprocess.CalledProcessError as error:
            # Seen on Docker 20.10 under heavy load: the containers go, the network stays
            # ("has active endpoints"). Say so and go on: the next rows use new projects.
            print(f"warning: `compose down` of {project} failed: {error.stderr.decode(errors='replace').strip()[-200:]}",
                  flush=True)


def cold_up(folder: Path, project: str) -> tuple[list[float], list[float]]:
    """(launcher, compose) seconds from nothing to every service healthy, alternating which goes first.

    Each run starts on a quiet machine: after each `down`, ``settle`` waits for the
    kernel to finish with the removed containers' network namespaces.
    """
    commands = {
        "compose": ["docker", "compose", "-p", project, "--env-file", str(folder / ".env"),
                    *compose_files(folder), "up", "--detach", "--wait", "--pull", "never"],
        "launcher": [LAUNCHER, "up", "--pull", "never"],
    }
    samples: dict[str, list[float]] = {"compose": [], "launcher": []}
    settle()
    for run in range(COLD_RUNS):
        for which in ("compose", "launcher") if run % 2 == 0 else ("launcher", "compose"):
            samples[which].append(timed(commands[which], folder))
            down(folder, project)
            settle()
    return samples["launcher"], samples["compose"]


def chained_rows(root: Path) -> None:
    for size in SIZES:
        folder = root / f"chain{size}"
        project = write_stack(folder, size, chained=True)
        try:
            ours, reference = cold_up(folder, project)
            ratio = statistics.median(ours) / statistics.median(reference)
            print(f"cold up, {size:2d} services: launcher {shown(ours)}")
            print(f"                     compose  {shown(reference)}")
            print(f"                     ratio {ratio:.2f}  (per run {[round(o / r, 2) for o, r in zip(ours, reference)]}; "
                  "goal <= 0.8)", flush=True)
            if size == SIZES[-1]:
                running_rows(folder, project, size)
        finally:
            down(folder, project)


def running_rows(folder: Path, project: str, size: int) -> None:
    """No-op `up` and `status --json` on the running stack, with what any start costs under the same load.

    The running services' healthchecks load the machine; the floor rows (a bare Python
    start, `launcher --version`) show what any command pays under that load before it
    does any work, and the CPU seconds show what each command itself costs.
    """
    subprocess.run([LAUNCHER, "up", "--pull", "never"], cwd=folder, check=True, capture_output=True)
    floor = time_runs([PYTHON, "-c", "pass"], WARM_RUNS, folder, warm=True)
    version = time_runs([LAUNCHER, "--version"], WARM_RUNS, folder, warm=True)
    noop, noop_cpu = wall_and_cpu_runs([LAUNCHER, "up"], WARM_RUNS, folder, warm=True)
    status, status_cpu = wall_and_cpu_runs([LAUNCHER, "status", "--json"], WARM_RUNS, folder, warm=True)
    ps = time_runs(["docker", "compose", "-p", project, "--env-file", str(folder / ".env"), *compose_files(folder),
                    "ps", "--format", "json"], WARM_RUNS, folder, warm=True)
    print(f"no-op up, {size} services running        {shown(noop)}  (goal <= 0.3 s)")
    print(f"                             CPU         {shown(noop_cpu)}")
    print(f"status --json, {size} services             {shown(status)}  (goal <= 0.3 s)")
    print(f"                             CPU         {shown(status_cpu)}")
    print(f"docker compose ps --format json          {shown(ps)}  (for scale)")
    print(f"same load: python -c pass                {shown(floor)}  (the floor of any Python command)")
    print(f"same load: launcher --version            {shown(version)}", flush=True)


# ------------------------------------------------------------------ the seeded stack


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_dump(path: Path, megabytes: float = 3.0) -> None:
    """A seed shaped as `pg_dump --format=plain` writes it: SETs, tables, COPY blocks, constraints."""
    header = ["SET statement_timeout = 0;", "SET lock_timeout = 0;", "SET client_encoding = 'UTF8';",
              "SET standard_conforming_strings = on;",
              "SELECT pg_catalog.set_config('search_path', '', false);", "SET check_function_bodies = false;",
              "SET client_min_messages = warning;", "SET row_security = off;", ""]
    parts = ["\n".join(header)]
    filler = "lorem ipsum; dolor 'sit' amet $x$ \\\\ tab\\tend"
    size, table = 0, 0
    while size < megabytes * 1e6:
        name = f"public.items{table:02d}"
        rows = "".join(f"{n}\titem {n}\t{filler} {n}\t{n}.5\n" for n in range(1, 3001))
        block = (f"CREATE TABLE {name} (\n    id integer NOT NULL,\n    name text NOT NULL,\n"
                 f"    note text,\n    n numeric\n);\n\n\nALTER TABLE {name} OWNER TO postgres;\n\n"
                 f"COPY {name} (id, name, note, n) FROM stdin;\n{rows}\\.\n\n\n"
                 f"ALTER TABLE ONLY {name}\n    ADD CONSTRAINT items{table:02d}_pkey PRIMARY KEY (id);\n\n")
        parts.append(block)
        size += len(block)
        table += 1
    path.write_text("".join(parts))


def seeded_stack(folder: Path) -> str:
    """postgres, then 4 busybox probes; a postgres-seeds step with one 3 MB dump after the db group.

    With a JWT among its secrets, as a real stack has: its check is part of every `up`.
    """
    project = f"lb{uuid.uuid4().hex[:8]}"
    (folder / "compose").mkdir(parents=True)
    (folder / "envtemplates").mkdir()
    (folder / "seeds" / "00_dump").mkdir(parents=True)
    write_dump(folder / "seeds" / "00_dump" / "dump.sql")
    (folder / "envtemplates" / "stack.env").write_text("PG_PASSWORD=${PG_PASSWORD}\nPG_PORT=${PG_PORT}\n")
    (folder / "compose" / "db.yml").write_text(f"""services:
  postgres:
    image: {POSTGRES}
    pull_policy: never
    environment:
      POSTGRES_PASSWORD: ${{PG_PASSWORD}}
    ports: ["127.0.0.1:${{PG_PORT}}:5432"]
    healthcheck:
      test: ["CMD", "pg_isready", "-U", "postgres", "-h", "127.0.0.1"]
      interval: 1s
      timeout: 3s
      retries: 30
      start_period: 20s
""")
    probes = ["services:"]
    for n in range(4):
        probes += [f"  probe{n}:", f"    image: {BUSYBOX}", "    pull_policy: never",
                   '    command: ["sh", "-c", "mkdir -p /w && echo ok > /w/index.html && exec httpd -f -p 8080 -h /w"]',
                   "    healthcheck:",
                   '      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]',
                   "      interval: 1s", "      timeout: 3s", "      retries: 30"]
    (folder / "compose" / "app.yml").write_text("\n".join(probes) + "\n")
    (folder / "stack.toml").write_text(f"""[stack]
name = "{project}"
compose_env_output = "stack"

[groups.db]
compose = ["compose/db.yml"]

[groups.app]
compose = ["compose/app.yml"]
after = ["db"]

[steps.dump]
kind = "postgres-seeds"
after = "db"
dir = "seeds"
dsn = "postgresql://postgres:${{PG_PASSWORD}}@127.0.0.1:${{PG_PORT}}/postgres"

[outputs.stack]
template = "envtemplates/stack.env"
path = ".env"

[secrets.PG_PASSWORD]
kind = "password"
length = 24

[secrets.JWT_SECRET]
kind = "token"
length = 48

[secrets.ANON_KEY]
kind = "jwt"
signed_with = "JWT_SECRET"
role = "anon"

[settings.PG_PORT]
kind = "port"
default = 15432
""")
    subprocess.run([LAUNCHER, "init", "--non-interactive", f"--set=PG_PORT={free_port()}"], cwd=folder,
                   check=True, capture_output=True)
    return project


def seeded_row(root: Path) -> None:
    folder = root / "seeded"
    project = seeded_stack(folder)
    try:
        subprocess.run([LAUNCHER, "up", "--pull", "never"], cwd=folder, check=True, capture_output=True)
        noop, cpu = wall_and_cpu_runs([LAUNCHER, "up"], WARM_RUNS, folder, warm=True)
        size = (folder / "seeds" / "00_dump" / "dump.sql").stat().st_size / 1e6
        print(f"no-op up, 5 services, {size:.1f} MB seed applied {shown(noop)}  (goal <= 0.3 s)")
        print(f"                             CPU         {shown(cpu)}", flush=True)
    finally:
        compose(folder, project, "down", "--volumes", "--remove-orphans")


def seeds_row(root: Path) -> None:
    folder = root / "seeds"
    folder.mkdir()
    size, statements = bench_seeds.write_seeds(folder)
    bench_seeds.run_launcher(folder)  # warm the page cache and the server once
    ours, reference = [], []
    for _ in range(3):
        reference.append(bench_seeds.run_psql_one_file(folder))
        ours.append(bench_seeds.run_launcher(folder))
    ratio = statistics.median(ours) / statistics.median(reference)
    print(f"seeds {size / 1e6:.1f} MB / {statements} statements: launcher {shown(ours)}")
    print(f"                     one psql -1 -f over all the SQL {shown(reference)}")
    print(f"                     ratio {ratio:.2f}  (goal <= 1.0)", flush=True)


def main() -> None:
    # A user's install has compiled bytecode; a test bed that forbids writing it would time
    # the compiler on every run of the launcher, not the launcher.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    root = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        chained_rows(root)
        seeded_row(root)
        seeds_row(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
