"""`launcher up` against `docker compose up -d --wait` on the same files, from nothing each time.

Run: .venv/bin/python tests/bench/bench_up.py   (goal: ratio <= 1.10)
The engine test stack (tests/fixtures/engine_stack: postgres, then redis, then a
one-shot job and a web probe) is brought up from scratch by each tool in turn,
with its volume deleted in between so both pay for postgres' first start.
"""

from __future__ import annotations

import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from synthetic_stack import LAUNCHER

RUNS = 3
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "engine_stack"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp) / "stack"
        shutil.copytree(FIXTURE, folder)
        project = f"lb{uuid.uuid4().hex[:8]}"
        manifest = folder / "stack.toml"
        manifest.write_text(manifest.read_text().replace('name = "enginestack"', f'name = "{project}"'))
        sets = [f"--set={name}={free_port()}" for name in ("PG_PORT", "REDIS_PORT", "WEB_PORT")]
        subprocess.run([LAUNCHER, "init", "--non-interactive", *sets], cwd=folder, check=True, capture_output=True)
        compose = ["docker", "compose", "-p", project, "--env-file", str(folder / ".env")]
        for name in ("db", "cache", "app"):
            compose += ["-f", str(folder / "compose" / f"{name}.yml")]
        down = [*compose, "down", "--volumes", "--remove-orphans"]
        ours, reference = [], []
        try:
            for _ in range(RUNS):
                reference.append(timed([*compose, "up", "--detach", "--wait", "--pull", "never"], folder))
                timed(down, folder)
                ours.append(timed([LAUNCHER, "up", "--pull", "never"], folder))
                timed(down, folder)
        finally:
            subprocess.run(down, cwd=folder, capture_output=True)
    ours_median, reference_median = statistics.median(ours), statistics.median(reference)
    print(f"launcher up                      median {ours_median:6.2f} s  runs {[round(x, 2) for x in ours]}")
    print(f"docker compose up -d --wait      median {reference_median:6.2f} s  runs {[round(x, 2) for x in reference]}")
    print(f"ratio {ours_median / reference_median:.2f} (goal <= 1.10)")


if __name__ == "__main__":
    main()
