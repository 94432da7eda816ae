"""`launcher status --json` against `docker compose ps --format json` on a running 20-service stack.

Run: .venv/bin/python tests/bench/bench_status.py   (goal: ratio <= 1.0)
Both are timed as a user runs them: a fresh process each time, median of several runs.
"""

from __future__ import annotations

import statistics
import subprocess
import tempfile
from pathlib import Path

from synthetic_stack import LAUNCHER, compose_files, remove, write_stack
from timing import time_runs

RUNS = 11
SERVICES = 20


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        project = write_stack(folder, SERVICES)
        try:
            subprocess.run([LAUNCHER, "up", "--pull", "never"], cwd=folder, check=True, capture_output=True)
            ours = statistics.median(time_runs([LAUNCHER, "status", "--json"], RUNS, folder, warm=True))
            reference = statistics.median(time_runs(
                ["docker", "compose", "-p", project, "--env-file", str(folder / ".env"), *compose_files(folder),
                 "ps", "--format", "json"], RUNS, folder, warm=True))
        finally:
            remove(folder, project)
    print(f"launcher status --json           median {ours * 1000:7.1f} ms  ({SERVICES} containers)")
    print(f"docker compose ps --format json  median {reference * 1000:7.1f} ms")
    print(f"ratio {ours / reference:.2f} (goal <= 1.0)")


if __name__ == "__main__":
    main()
