"""`launcher --version` wall time against `docker compose version`, same run, median of several.

Run: .venv/bin/python tests/bench/bench_version.py   (goal: ratio <= 1.0)
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

from timing import time_runs

RUNS = 15


def main() -> None:
    launcher = str(Path(sys.executable).with_name("launcher"))
    ours = statistics.median(time_runs([launcher, "--version"], RUNS, warm=True))
    reference = statistics.median(time_runs(["docker", "compose", "version"], RUNS, warm=True))
    print(f"launcher --version       median {ours * 1000:7.1f} ms")
    print(f"docker compose version   median {reference * 1000:7.1f} ms")
    print(f"ratio {ours / reference:.2f} (goal <= 1.0)")


if __name__ == "__main__":
    main()
