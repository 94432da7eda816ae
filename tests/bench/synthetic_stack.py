"""Build throwaway stacks for the benchmarks: N busybox probe services over a few groups.

Not a benchmark itself (no bench_ prefix): bench_noop_up.py, bench_status.py and
bench_scale.py use it. Every service is a busybox httpd with a 1 s healthcheck;
nothing is published, so the stacks never clash with anything on the host.
``chained`` adds, for plain compose, the same order the launcher's groups give:
every service of group k `depends_on` every service of group k-1 being healthy.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

BUSYBOX = "launcher-test/busybox:1"
LAUNCHER = str(Path(sys.executable).with_name("launcher"))


def write_stack(folder: Path, services: int, groups: int = 3, *, chained: bool = False) -> str:
    """Write stack.toml, one compose file per group and an env template; return the project name."""
    project = f"lb{uuid.uuid4().hex[:8]}"
    (folder / "compose").mkdir(parents=True)
    (folder / "envtemplates").mkdir()
    (folder / "envtemplates" / "stack.env").write_text("PROBE_TEXT=${PROBE_TEXT}\n")
    manifest = [f'[stack]\nname = "{project}"\ncompose_env_output = "stack"\n']
    previous: list[str] = []
    for group in range(groups):
        names = [f"probe{n:02d}" for n in range(services) if n % groups == group]
        after = f'after = ["g{group - 1}"]\n' if group else ""
        manifest.append(f'[groups.g{group}]\ncompose = ["compose/g{group}.yml"]\n{after}')
        body = ["services:"]
        for name in names:
            body += [
                f"  {name}:",
                f"    image: {BUSYBOX}",
                "    pull_policy: never",
                '    command: ["sh", "-c", "mkdir -p /w && echo $$PROBE_TEXT > /w/index.html && exec httpd -f -p 8080 -h /w"]',
                "    environment:",
                "      PROBE_TEXT: ${PROBE_TEXT}",
                "    healthcheck:",
                '      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]',
                "      interval: 1s",
                "      timeout: 3s",
                "      retries: 30",
            ]
            if chained and previous:
                body.append("    depends_on:")
                for upstream in previous:
                    body += [f"      {upstream}:", "        condition: service_healthy"]
        previous = names
        (folder / "compose" / f"g{group}.yml").write_text("\n".join(body) + "\n")
    manifest.append('[outputs.stack]\ntemplate = "envtemplates/stack.env"\npath = ".env"\n')
    manifest.append('[settings.PROBE_TEXT]\nkind = "string"\ndefault = "ok"\n')
    (folder / "stack.toml").write_text("\n".join(manifest))
    subprocess.run([LAUNCHER, "init", "--non-interactive"], cwd=folder, check=True, capture_output=True)
    return project


def compose_files(folder: Path) -> list[str]:
    """The `-f` arguments for plain `docker compose` on the same files, in group order."""
    args = []
    for path in sorted((folder / "compose").glob("*.yml")):
        args += ["-f", str(path)]
    return args


def compose(folder: Path, project: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["docker", "compose", "-p", project, "--env-file", str(folder / ".env"),
                           *compose_files(folder), *args], cwd=folder, capture_output=True, check=True)


def remove(folder: Path, project: str) -> None:
    compose(folder, project, "down", "--volumes", "--remove-orphans")
