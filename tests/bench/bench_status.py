"""`launcher status --json` against `docker compose ps --format json` on a running 20-service stack.

Run: .venv/bin/python tests/bench/bench_status.py   (goal: ratio <= 1.0)
Both are timed as a user runs them: a fresh process each time, median of several runs.
"""

from __future__ import annotations

import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from synthetic_stack import LAUNCHER, compose_files, remove, write_stack

RUNS = 11
SERVICES = 20


def median_seconds(command: list[str], cwd: Path) -> float:
    subprocess.run(command, cwd=cwd, capture_output=True, check=True)  # warm caches (and the model cache)
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, capture_output=True, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        project = write_stack(folder, SERVICES)
        try:
            subprocess.run([LAUNCHER, "up", "--pull", "never"], cwd=folder, check=True, capture_output=True)
            ours = median_seconds([LAUNCHER, "status", "--json"], folder)
            reference = median_seconds(["docker", "compose", "-p", project, "--env-file", str(folder / ".env"),
                                        *compose_files(folder), "ps", "--format", "json"], folder)
        finally:
            remove(folder, project)
    print(f"launcher status --json           median {ours * 1000:7.1f} ms  ({SERVICES} containers)")
    print(f"docker compose ps --format json  median {reference * 1000:7.1f} ms")
    print(f"ratio {ours / reference:.2f} (goal <= 1.0)")


if __name__ == "__main__":
    main()
