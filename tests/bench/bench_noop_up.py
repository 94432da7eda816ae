"""A no-op `launcher up` on a running 30-service stack: the daily start when all is up already.

Run: .venv/bin/python tests/bench/bench_noop_up.py   (goal: median <= 0.2 s, printed as a ratio to 0.2 s)
The no-op still compares every container with the files (compose's config hash from the cache,
image ids, replicas): it must ask compose nothing. For scale it also times
`docker compose up -d --wait` on the same running stack. bench_scale times 60 services (goal <= 0.3 s).
"""

from __future__ import annotations

import statistics
import subprocess
import tempfile
from pathlib import Path

from synthetic_stack import LAUNCHER, compose_files, remove, write_stack
from timing import time_runs

RUNS = 9
SERVICES = 30
GOAL = 0.2


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        project = write_stack(folder, SERVICES)
        try:
            subprocess.run([LAUNCHER, "up", "--pull", "never"], cwd=folder, check=True, capture_output=True)
            samples = time_runs([LAUNCHER, "up"], RUNS, folder)
            reference = statistics.median(time_runs(
                ["docker", "compose", "-p", project, "--env-file", str(folder / ".env"), *compose_files(folder),
                 "up", "--detach", "--wait", "--pull", "never"], RUNS, folder))
            ours = statistics.median(samples)
        finally:
            remove(folder, project)
    print(f"no-op launcher up ({SERVICES} services)   median {ours:6.3f} s  runs {[round(s, 2) for s in samples]}")
    print(f"no-op docker compose up -d --wait    median {reference:6.3f} s  (for scale)")
    print(f"ratio to the {GOAL} s goal {ours / GOAL:.2f} (goal <= 1.0)")


if __name__ == "__main__":
    main()
