"""One shell-completion request (`launcher __complete`, what each Tab runs) against `launcher --version`.

The request completes a service name in a copy of the engine test stack: the costly kind (it
loads the stack and reads its compose files). Goal: under 0.2 s wall per request.

Run: .venv/bin/python tests/bench/bench_completion.py
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from timing import time_runs

RUNS = 15
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "engine_stack"


def main() -> None:
    launcher = str(Path(sys.executable).with_name("launcher"))
    with tempfile.TemporaryDirectory() as folder:
        os.environ["XDG_STATE_HOME"] = str(Path(folder) / "state")  # never the user's own registry
        stack = Path(folder) / "stack"
        shutil.copytree(FIXTURE, stack)
        request = [launcher, "__complete", "1", "logs", ""]
        ours = statistics.median(time_runs(request, RUNS, stack, warm=True))
        reference = statistics.median(time_runs([launcher, "--version"], RUNS, stack, warm=True))
    print(f"launcher __complete (service)  median {ours * 1000:7.1f} ms (goal < 200 ms)")
    print(f"launcher --version             median {reference * 1000:7.1f} ms")
    print(f"ratio {ours / reference:.2f}")


if __name__ == "__main__":
    main()
