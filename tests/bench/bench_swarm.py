"""`launcher up --target swarm` against `docker stack deploy --detach=false` of the same stack files.

Run: .venv/bin/python tests/bench/bench_swarm.py   (goal: ratio <= 1.2)
The engine test stack is exported with `launcher export swarm`; the reference deploys
those files by hand, one stack per group in plan order, each with --detach=false
(the CLI waits until the stack's services converge) after creating the overlay
network the files name. The launcher does the same and also applies the SQL seeds
between the first two groups. Each run starts from nothing: `launcher down
--target swarm --volumes` in between, so both pay for postgres' first start.
The engine is made a single-node swarm for the run when it is not one, and left again.

BENCH_NODES=2: on the test bed's two-node swarm (tests/testbed/node2 joins as a worker for
the run, tests/export/swarmbed.py): web becomes stateless, two replicas at most one per node,
and the by-hand run first labels the manager as the node that keeps postgres' and redis'
volumes (what the export's report tells a user to do; `up --target swarm` does it itself).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from bench_up import FIXTURE, free_port, timed
from synthetic_stack import LAUNCHER

RUNS = 3
DOCKER = "/usr/local/bin/docker" if Path("/usr/local/bin/docker").exists() else "docker"
GROUPS = ("db", "cache", "app")  # the engine test stack's plan order
TWO_NODES = os.environ.get("BENCH_NODES") == "2"


def swarm_state(field: str = "LocalNodeState") -> str:
    return subprocess.run([DOCKER, "info", "--format", f"{{{{.Swarm.{field}}}}}"], capture_output=True,
                          text=True, check=True).stdout.strip()


def main() -> None:
    if TWO_NODES:
        import docker

        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
        from tests.export.swarmbed import SwarmBed

        bed = SwarmBed(client=docker.from_env(), cli=DOCKER)
        bed.two_nodes(["launcher-test/busybox:1"])
        try:
            with tempfile.TemporaryDirectory() as temp:
                ours, reference = run(Path(temp))
        finally:
            bed.close()
        report(ours, reference)
        return
    started_swarm = swarm_state() != "active"
    if started_swarm:
        subprocess.run([DOCKER, "swarm", "init", "--advertise-addr", "127.0.0.1"], check=True, capture_output=True)
    try:
        with tempfile.TemporaryDirectory() as temp:
            ours, reference = run(Path(temp))
    finally:
        if started_swarm:
            subprocess.run([DOCKER, "swarm", "leave", "--force"], capture_output=True)
    report(ours, reference)


def report(ours: list[float], reference: list[float]) -> None:
    ours_median, reference_median = statistics.median(ours), statistics.median(reference)
    print(f"launcher up --target swarm           median {ours_median:6.2f} s  runs {[round(x, 2) for x in ours]}")
    print(f"docker stack deploy --detach=false   median {reference_median:6.2f} s  "
          f"runs {[round(x, 2) for x in reference]}")
    print(f"ratio {ours_median / reference_median:.2f} (goal <= 1.2)")


def run(temp: Path) -> tuple[list[float], list[float]]:
    folder = temp / "stack"
    shutil.copytree(FIXTURE, folder)
    project = f"lb{uuid.uuid4().hex[:8]}"
    manifest = folder / "stack.toml"
    manifest.write_text(manifest.read_text().replace('name = "enginestack"', f'name = "{project}"'))
    if TWO_NODES:
        app = folder / "compose" / "app.yml"
        text = app.read_text().replace(
            "    volumes:\n      - files:/srv/files  # uploaded files: a plain named volume for the snapshot tests\n",
            "    deploy:\n      replicas: 2\n      placement:\n        max_replicas_per_node: 1\n")
        app.write_text(text.replace("\nvolumes:\n  files:\n", "\n"))
    sets = [f"--set={name}={free_port()}" for name in ("PG_PORT", "REDIS_PORT", "WEB_PORT")]
    subprocess.run([LAUNCHER, "init", "--non-interactive", *sets], cwd=folder, check=True, capture_output=True)
    files = temp / "swarm"
    subprocess.run([LAUNCHER, "export", "swarm", str(files)], cwd=folder, check=True, capture_output=True)
    network = [DOCKER, "network", "create", "--driver", "overlay", "--attachable",
               "--label", f"launcher.swarm.project={project}", f"{project}-default"]
    by_hand = [[DOCKER, "stack", "deploy", "--resolve-image", "never", "--detach=false", "-c",
                str(files / f"{group}.yml"), f"{project}-{group}"] for group in GROUPS]
    down = [LAUNCHER, "down", "--target", "swarm", "--volumes", "--yes"]
    ours, reference = [], []
    try:
        for _ in range(RUNS):
            subprocess.run(network, check=True, capture_output=True)
            if TWO_NODES:
                subprocess.run([DOCKER, "node", "update", "--label-add", f"launcher.data.{project}.postgres=true",
                                "--label-add", f"launcher.data.{project}.redis=true", swarm_state("NodeID")], check=True,
                               capture_output=True)
            reference.append(sum(timed(command, folder) for command in by_hand))
            timed(down, folder)
            ours.append(timed([LAUNCHER, "up", "--target", "swarm"], folder))
            timed(down, folder)
    finally:
        subprocess.run(down, cwd=folder, capture_output=True)
    return ours, reference


if __name__ == "__main__":
    main()
