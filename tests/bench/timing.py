"""Wall time of whole commands, each run a fresh process as a user runs it; their CPU time; a quiet machine."""

from __future__ import annotations

import resource
import subprocess
import time
from pathlib import Path


def time_runs(command: list[str], runs: int, cwd: Path | None = None, *, warm: bool = False) -> list[float]:
    """Seconds of each of ``runs`` runs; ``warm`` first runs it once untimed (page cache, caches)."""
    return wall_and_cpu_runs(command, runs, cwd, warm=warm)[0]


def wall_and_cpu_runs(command: list[str], runs: int, cwd: Path | None = None, *,
                      warm: bool = False) -> tuple[list[float], list[float]]:
    """(wall seconds, CPU seconds) of each run. CPU is user + system of the process and its children.

    On a loaded machine the wall time is mostly waiting for a core; the CPU time is what
    the command itself costs, whatever the load.
    """
    if warm:
        subprocess.run(command, cwd=cwd, capture_output=True, check=True)
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, capture_output=True, check=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return walls, cpus


def idle_share(seconds: float = 1.0) -> float:
    """The share of the machine's CPU time that was idle over the next ``seconds`` (from /proc/stat)."""
    def counters() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            values = [int(field) for field in stat.readline().split()[1:]]
        return values[3] + values[4], sum(values)  # idle + iowait, everything

    idle_before, total_before = counters()
    time.sleep(seconds)
    idle_after, total_after = counters()
    return (idle_after - idle_before) / max(1, total_after - total_before)


def settle(idle: float = 0.9, longest: float = 90.0) -> float:
    """Wait until the machine is ``idle`` (share of CPU) over one second, at most ``longest`` seconds.

    A `compose down` returns before the kernel has finished tearing down the containers'
    network namespaces; that work goes on for tens of seconds on 2 cores and would slow
    whichever run comes next. Returns the seconds waited.
    """
    began = time.monotonic()
    while time.monotonic() - began < longest and idle_share() < idle:
        pass
    return time.monotonic() - began
