"""Wall time of whole commands, each run a fresh process as a user runs it."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path


def time_runs(command: list[str], runs: int, cwd: Path | None = None, *, warm: bool = False) -> list[float]:
    """Seconds of each of ``runs`` runs; ``warm`` first runs it once untimed (page cache, caches)."""
    if warm:
        subprocess.run(command, cwd=cwd, capture_output=True, check=True)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, capture_output=True, check=True)
        samples.append(time.perf_counter() - start)
    return samples
