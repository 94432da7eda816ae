"""A no-op `launcher up` on a running 10-service stack: the daily start when all is up already.

Run: .venv/bin/python tests/bench/bench_noop_up.py   (goal: median <= 1 s, printed as a ratio to 1 s)
For scale it also times `docker compose up -d --wait` on the same running stack.
"""

from __future__ import annotations

import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from synthetic_stack import LAUNCHER, compose_files, remove, write_stack

RUNS = 9
SERVICES = 10
GOAL = 1.0


def median_seconds(command: list[str], cwd: Path) -> tuple[float, list[float]]:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, capture_output=True, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), samples


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        project = write_stack(folder, SERVICES)
        try:
            subprocess.run([LAUNCHER, "up", "--pull", "never"], cwd=folder, check=True, capture_output=True)
            ours, samples = median_seconds([LAUNCHER, "up"], folder)
            reference, _ = median_seconds(["docker", "compose", "-p", project, "--env-file", str(folder / ".env"),
                                           *compose_files(folder), "up", "--detach", "--wait", "--pull", "never"],
                                          folder)
        finally:
            remove(folder, project)
    print(f"no-op launcher up ({SERVICES} services)   median {ours:6.3f} s  runs {[round(s, 2) for s in samples]}")
    print(f"no-op docker compose up -d --wait    median {reference:6.3f} s  (for scale)")
    print(f"ratio to the {GOAL:.0f} s goal {ours / GOAL:.2f} (goal <= 1.0)")


if __name__ == "__main__":
    main()
