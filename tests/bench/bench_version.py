"""`launcher --version` wall time against `docker compose version`, same run, median of several.

Run: .venv/bin/python tests/bench/bench_version.py   (goal: ratio <= 1.0)
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

RUNS = 15


def median_seconds(command: list[str]) -> float:
    subprocess.run(command, capture_output=True, check=True)  # warm the page cache
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    launcher = str(Path(sys.executable).with_name("launcher"))
    ours = median_seconds([launcher, "--version"])
    reference = median_seconds(["docker", "compose", "version"])
    print(f"launcher --version       median {ours * 1000:7.1f} ms")
    print(f"docker compose version   median {reference * 1000:7.1f} ms")
    print(f"ratio {ours / reference:.2f} (goal <= 1.0)")


if __name__ == "__main__":
    main()
