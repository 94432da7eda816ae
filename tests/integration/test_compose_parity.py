"""`launcher up` means `docker compose up -d --wait`: compose's own end-to-end cases, run through both.

Each case is a small stack ported from the public docker/compose repository
(pkg/e2e/fixtures/ or pkg/e2e/testdata/, named per case), with the test bed's busybox
image standing in for `alpine`, `nginx` and `bash` (a server becomes `sleep infinity`,
an `echo` stays an `echo`). Each is brought up once by compose and once by the
launcher, each in its own project, and the two are compared: success or failure,
which containers were started (service and replica number), their state and exit
code, and, for every `depends_on`, that the dependency started first.

One difference is by design and normalised here: when `up` fails, the launcher
removes the containers it created but never started (compose leaves them
"created"), so a "created" container counts as no container.

Not ported, for images the test bed cannot have (nothing is pulled): build-test/*,
build-dependencies, bridge (builds and bridge converters), compose-pull/* (a registry),
network-test (mariadb and the gtardif/sentences-* images: its `network_mode:
service:` is covered by TestNoDepsNetworkMode below), ups-deps-stop and attach-restart
(attached `up`, not `up -d --wait`), watch (develop.watch needs a build).
"""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from tests.conftest import remove_compose_project
from tests.integration.engine_stack import EventRecorder

pytestmark = pytest.mark.integration

BUSYBOX = "launcher-test/busybox:1"
PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
NUMBER_LABEL = "com.docker.compose.container-number"


@dataclass(frozen=True)
class Case:
    upstream: str  # the fixture it follows, in docker/compose
    compose: str
    ok: bool  # what compose answers (checked too, so the port stays honest)
    failed_service: str = ""  # the service the launcher must name when it fails
    groups: dict[str, list[str]] = field(default_factory=dict)  # manifest groups -> services (one group if empty)
    exit_code: int = 9  # the launcher's, when it fails
    words: str = ""  # what both compose's output and the launcher's error say, when it fails
    env: str = ""  # lines of the stack's .env (compose's environment: `environment:` configs read it)
    files: dict[str, list[str]] = field(default_factory=dict)  # service -> paths read in its running container


def poststart(fixture: str, command: str, *, ok: bool) -> Case:
    """One of pkg/e2e/fixtures/hooks/poststart/: a server whose post_start hook runs ``command``."""
    return Case(f"pkg/e2e/fixtures/hooks/poststart/{fixture}", f"""
        services:
          test:
            image: IMAGE
            command: sleep infinity
            post_start: [{{command: {command}}}]
        """, ok=ok, failed_service="" if ok else "test")


CASES = {
    "wait": Case("pkg/e2e/fixtures/wait/compose.yaml (sleeps lengthened so both runs see them running)", """
        services:
          faster: {image: IMAGE, command: sleep 20}
          slower: {image: IMAGE, command: sleep 30}
          infinity: {image: IMAGE, command: sleep infinity}
        """, ok=True),
    "cascade": Case("pkg/e2e/fixtures/cascade/compose.yaml", """
        services:
          running: {image: IMAGE, command: sleep infinity, init: true}
          exit:
            image: IMAGE
            command: /bin/true
            depends_on: {running: {condition: service_started}}
          fail:
            image: IMAGE
            command: sh -c "return 111"
            depends_on: {exit: {condition: service_completed_successfully}}
        """, ok=False, failed_service="fail"),
    "dependency-exit": Case("pkg/e2e/fixtures/dependencies/dependency-exit.yaml", """
        services:
          web:
            image: IMAGE
            command: sleep infinity
            depends_on: {db: {condition: service_healthy}}
          db: {image: IMAGE, command: sh -c "exit 1"}
        """, ok=False, failed_service="db"),
    "deps-not-required": Case("pkg/e2e/fixtures/dependencies/deps-not-required.yaml", """
        services:
          foo:
            image: IMAGE
            command: echo "foo"
            depends_on: {bar: {required: false, condition: service_healthy}}
          bar: {image: IMAGE, command: sleep infinity, profiles: [not-required]}
        """, ok=False, failed_service="foo"),
    "unhealthy": Case("pkg/e2e/testdata/TestUpServiceUnhealthy/compose.yaml", """
        services:
          fail:
            image: IMAGE
            init: true
            command: sleep infinity
            healthcheck: {test: "false", interval: 1s, retries: 3}
          depends:
            image: IMAGE
            init: true
            command: sleep infinity
            depends_on: {fail: {condition: service_healthy}}
        """, ok=False, failed_service="fail"),
    "scale": Case("pkg/e2e/fixtures/scale/compose.yaml", """
        services:
          back: {image: IMAGE, command: sleep infinity, depends_on: [db]}
          db: {image: IMAGE, command: sleep infinity}
          front: {image: IMAGE, command: sleep infinity, deploy: {replicas: 2}}
          dbadmin: {image: IMAGE, command: sleep infinity, deploy: {replicas: 0}}
        """, ok=True),
    "poststart": poststart("compose-success.yaml", "sh -c 'echo env > /tmp/hooked'", ok=True),
    "poststart-error": poststart("compose-error.yaml", "sh -c 'command in error'", ok=False),
    "init-container": Case("pkg/e2e/fixtures/init-container/compose.yaml", """
        services:
          foo: {image: IMAGE, command: "echo hello"}
          bar:
            image: IMAGE
            command: "echo world"
            depends_on: {foo: {condition: "service_completed_successfully"}}
        """, ok=False, failed_service="bar"),
    "network-mode": Case("pkg/e2e/testdata/TestNoDepsNetworkMode/compose.yaml", """
        services:
          app: {image: IMAGE, init: true, command: sleep infinity, network_mode: "service:db"}
          db: {image: IMAGE, init: true, command: sleep infinity}
        """, ok=True),
    "volumes-from": Case("pkg/e2e/testdata/TestNoDepsVolumeFrom/compose.yaml", """
        services:
          app: {image: IMAGE, init: true, command: sleep infinity, volumes_from: [db]}
          db: {image: IMAGE, init: true, command: sleep infinity, volumes: [/var/data]}
        """, ok=True),
    "profiles": Case("pkg/e2e/fixtures/profiles/compose.yaml", """
        services:
          regular-service: {image: IMAGE, command: sleep infinity}
          profiled-service: {image: IMAGE, command: sleep infinity, profiles: [test-profile]}
        """, ok=True),
    # The default sits in the compose file, not in .env: the launcher writes .env itself
    # and refuses a value holding `${`. Compose interpolates both places the same way.
    "env-default": Case("pkg/e2e/testdata/TestEnvInterpolationDefaultValue", """
        services:
          env-interpolation:
            image: IMAGE
            environment: {IMAGE: "default_env:${WHEREAMI:-EnvFileDefaultValue}"}
            command: echo "$$IMAGE"
        """, ok=False, failed_service="env-interpolation"),
    # The manifest splits the stack: `exit` and `fail` in a group after `running`'s.
    "cascade-in-groups": Case("pkg/e2e/fixtures/cascade/compose.yaml, in two groups", """
        services:
          running: {image: IMAGE, command: sleep infinity, init: true}
          exit: {image: IMAGE, command: /bin/true}
          fail:
            image: IMAGE
            command: sh -c "return 111"
            depends_on: {exit: {condition: service_completed_successfully}}
        """, ok=False, failed_service="fail", groups={"base": ["running"], "jobs": ["exit", "fail"]}),
    # issue 32's verdicts: `service_healthy` on a dependency with no healthcheck fails, naming it.
    "healthy-without-healthcheck": Case("pkg/compose/convergence.go isServiceHealthy (no fixture upstream)", """
        services:
          app:
            image: IMAGE
            init: true
            command: sleep infinity
            depends_on: {db: {condition: service_healthy}}
          db: {image: IMAGE, init: true, command: sleep infinity}
        """, ok=False, failed_service="db", words="has no healthcheck configured"),
    "healthy-without-healthcheck-in-groups": Case("the same, db in a group that starts first", """
        services:
          db: {image: IMAGE, init: true, command: sleep infinity}
          app:
            image: IMAGE
            init: true
            command: sleep infinity
            depends_on: {db: {condition: service_healthy}}
        """, ok=False, failed_service="db", groups={"base": ["db"], "app": ["app"]},
        words="has no healthcheck configured"),
    "healthcheck-disabled": Case("the same with `healthcheck: {disable: true}`", """
        services:
          app:
            image: IMAGE
            init: true
            command: sleep infinity
            depends_on: {db: {condition: service_healthy}}
          db: {image: IMAGE, init: true, command: sleep infinity, healthcheck: {disable: true}}
        """, ok=False, failed_service="db", words="has no healthcheck configured"),
    # A job is what a dependant waits for with service_completed_successfully, whatever its restart policy.
    "job-restart-on-failure": Case("pkg/e2e/fixtures/init-container/compose.yaml, the job with restart: on-failure", """
        services:
          job: {image: IMAGE, command: /bin/true, restart: on-failure}
          app:
            image: IMAGE
            init: true
            command: sleep infinity
            depends_on: {job: {condition: service_completed_successfully}}
        """, ok=True),
    # The test bed's engine is 20.10: compose refuses start_interval before it creates anything.
    "start-interval": Case("pkg/e2e/fixtures/start_interval/compose.yaml (its `test` service)", """
        services:
          test:
            image: IMAGE
            init: true
            command: sleep infinity
            healthcheck: {interval: 30s, start_period: 10s, start_interval: 1s, test: /bin/true}
        """, ok=False, failed_service="test", exit_code=3,
        words="can't set healthcheck.start_interval as feature require Docker Engine v25 or later"),
    # Compose writes these into the container when it starts it (its injectConfigs/injectSecrets).
    "configs-and-secrets": Case("pkg/e2e/fixtures/configs/compose.yaml (content, environment; a secret)", """
        services:
          from-content:
            image: IMAGE
            init: true
            command: sleep infinity
            configs:
              - {source: greeting, target: /greeting}
              - {source: from-env, target: /from-env}
            secrets: [token]
        configs:
          greeting: {content: "hello from content"}
          from-env: {environment: GREETING}
        secrets:
          token: {environment: GREETING}
        """, ok=True, env="GREETING=hello-from-env\n",
        files={"from-content": ["/greeting", "/from-env", "/run/secrets/token"]}),
}


def write_stack(root: Path, project: str, case: Case) -> Path:
    """A launcher stack around the case's compose file: one group, or the case's groups in order."""
    root.mkdir(parents=True)
    compose = yaml.safe_load(textwrap.dedent(case.compose).replace("IMAGE", BUSYBOX))
    for service in compose["services"].values():
        service["pull_policy"] = "never"
    groups = case.groups or {"main": list(compose["services"])}
    manifest = [f'[stack]\nname = "{project}"\ncompose_env_output = "env"\n']
    previous = None
    for index, (name, services) in enumerate(groups.items()):
        part = {"services": {service: compose["services"][service] for service in services}}
        if index == 0:
            part.update({key: value for key, value in compose.items() if key in ("configs", "secrets")})
        (root / f"{name}.yaml").write_text(yaml.safe_dump(part))
        after = f'after = ["{previous}"]\n' if previous else ""
        manifest.append(f'[groups.{name}]\ncompose = ["{name}.yaml"]\n{after}')
        previous = name
    manifest.append('[outputs.env]\ntemplate = "envtemplates/env"\npath = ".env"\n')
    (root / "envtemplates").mkdir()
    (root / "envtemplates" / "env").write_text(case.env or "# nothing to interpolate\n")
    (root / "stack.toml").write_text("\n".join(manifest))
    return root


def compose_files(root: Path) -> list[str]:
    return [argument for path in sorted(root.glob("*.yaml")) for argument in ("-f", str(path))]


def outcome(client, project: str, events: EventRecorder, files: dict[str, list[str]] | None = None) -> dict:
    """What a run left: started containers with state and exit code, and when each service first started;
    the ``files`` read in each service's running containers (None: not there)."""
    time.sleep(0.3)  # the last events reach the recorder
    containers = {}
    for found in client.containers.list(all=True, filters={"label": f"{PROJECT_LABEL}={project}"}):
        found.reload()
        state = found.attrs["State"]
        if state["Status"] == "created":
            continue  # never started: the launcher removes these, compose keeps them (see above)
        key = (found.labels[SERVICE_LABEL], found.labels[NUMBER_LABEL])
        image_env = [entry for entry in found.attrs["Config"]["Env"] or () if entry.startswith("IMAGE=")]
        read = {}
        for path in (files or {}).get(key[0], ()):
            cat = found.exec_run(["cat", path]) if state["Status"] == "running" else None
            read[path] = cat.output.decode() if cat is not None and cat.exit_code == 0 else None
        containers[key] = (state["Status"], state["ExitCode"] if state["Status"] == "exited" else None, image_env,
                           read)
    starts = {}
    for event in events.events:
        if event.get("Action") == "start":
            service = event["Actor"]["Attributes"][SERVICE_LABEL]
            starts.setdefault(service, event["timeNano"])
    hooks = [event for event in events.events if str(event.get("Action", "")).startswith("exec_start")]
    return {"containers": containers, "starts": starts, "hooks": len(hooks)}


def run_both(name: str, case: Case, tmp_path: Path, docker_client, run_launcher, compose_binary):
    token = uuid.uuid4().hex[:8]
    by_compose, by_launcher = f"ltc{token}", f"ltl{token}"
    try:
        stack = write_stack(tmp_path / "stack", by_launcher, case)
        env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
        init = run_launcher("init", "--non-interactive", cwd=stack, env=env)
        assert init.returncode == 0, init.stderr

        recorder = EventRecorder(docker_client, by_compose)
        compose = subprocess.run([compose_binary, "-p", by_compose, "--env-file", str(stack / ".env"),
                                  *compose_files(stack), "up", "-d", "--wait", "--pull", "never"],
                                 cwd=stack, capture_output=True, text=True, timeout=180)
        compose_outcome = outcome(docker_client, by_compose, recorder, case.files)
        recorder.stop()

        recorder = EventRecorder(docker_client, by_launcher)
        launcher = run_launcher("up", cwd=stack, env=env, timeout=180)
        launcher_outcome = outcome(docker_client, by_launcher, recorder, case.files)
        recorder.stop()
        return stack, compose, compose_outcome, launcher, launcher_outcome
    finally:
        remove_compose_project(docker_client, by_compose)
        remove_compose_project(docker_client, by_launcher)


@pytest.mark.parametrize("name", list(CASES))
def test_launcher_up_means_compose_up_wait(name, tmp_path, docker_client, images, run_launcher, compose_binary):
    case = CASES[name]
    stack, compose, by_compose, launcher, by_launcher = run_both(name, case, tmp_path, docker_client, run_launcher,
                                                                  compose_binary)
    shown = f"compose said:\n{compose.stdout}{compose.stderr}\nlauncher said:\n{launcher.stdout}{launcher.stderr}"
    assert (compose.returncode == 0) == case.ok, shown
    assert (launcher.returncode == 0) == (compose.returncode == 0), shown
    if not case.ok:
        assert launcher.returncode == case.exit_code, shown
        # The service that failed is named, never the one that waited for it.
        assert re.search(rf"service {case.failed_service}\b", launcher.stderr), shown
        assert case.words in compose.stdout + compose.stderr and case.words in launcher.stderr, shown
    for (service, _), (_, _, _, read) in by_compose["containers"].items():
        assert all(read.values()) or service not in case.files, shown  # compose wrote every file
    assert by_launcher["containers"] == by_compose["containers"], shown
    assert set(by_launcher["starts"]) == set(by_compose["starts"]), shown
    assert (by_launcher["hooks"] > 0) == (by_compose["hooks"] > 0), shown
    config = yaml.safe_load(textwrap.dedent(case.compose))
    for service, rule in config["services"].items():
        for dependency in rule.get("depends_on") or ():
            for starts in (by_compose["starts"], by_launcher["starts"]):
                if service in starts and dependency in starts:
                    assert starts[dependency] <= starts[service], f"{dependency} after {service}\n{shown}"


def test_dependency_exit_names_the_service_that_exited(tmp_path, docker_client, images, run_launcher,
                                                      compose_binary):
    """TestUpWithDependencyExit: the database that exited 1 is named with its exit code, not the web."""
    _, _, _, launcher, _ = run_both("dependency-exit", CASES["dependency-exit"], tmp_path, docker_client,
                                    run_launcher, compose_binary)
    assert launcher.returncode == 9, launcher.stderr
    assert "service db (group main) exited with code 1" in launcher.stderr, launcher.stderr
    assert "service web" not in launcher.stderr


def test_a_quick_exit_is_caught_every_time(tmp_path, docker_client, images, run_launcher):
    """The cascade's `fail` on its own, started through the Engine API: 20 runs, 20 failures."""
    project = f"ltq{uuid.uuid4().hex[:8]}"
    case = Case("pkg/e2e/fixtures/cascade/compose.yaml (its `fail` service)",
                'services:\n  fail: {image: IMAGE, command: sh -c "exit 111"}\n', ok=False)
    stack = write_stack(tmp_path / "stack", project, case)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    try:
        assert run_launcher("init", "--non-interactive", cwd=stack, env=env).returncode == 0
        outcomes = []
        for _ in range(20):
            # Each `up` finds the exited container not ready and starts it again through the API.
            result = run_launcher("up", cwd=stack, env=env, timeout=60)
            outcomes.append((result.returncode, "exited with code 111" in result.stderr))
        assert outcomes == [(9, True)] * 20
    finally:
        remove_compose_project(docker_client, project)


def test_depends_on_into_a_later_group_is_a_manifest_error(tmp_path, docker_client, images, run_launcher):
    """Group `jobs` comes after `app`, but app's web waits for jobs' migrate: refused before anything starts."""
    project = f"ltd{uuid.uuid4().hex[:8]}"
    case = Case("the issue's own case (no upstream fixture)", """
        services:
          web:
            image: IMAGE
            command: sleep infinity
            depends_on: {migrate: {condition: service_completed_successfully}}
          migrate: {image: IMAGE, command: /bin/true}
        """, ok=False, groups={"app": ["web"], "jobs": ["migrate"]})
    stack = write_stack(tmp_path / "stack", project, case)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    try:
        assert run_launcher("init", "--non-interactive", cwd=stack, env=env).returncode == 0
        for command in ("plan", "up"):
            result = run_launcher(command, cwd=stack, env=env, timeout=120)
            assert result.returncode == 3, result.stdout + result.stderr
            line = result.stderr.strip()
            assert line.startswith("launcher: stack.toml:"), line
            assert "service web (group app) depends on migrate (group jobs)" in line, line
            assert "group jobs comes after app" in line, line
        assert docker_client.containers.list(all=True, filters={"label": f"{PROJECT_LABEL}={project}"}) == []
    finally:
        remove_compose_project(docker_client, project)


def test_pre_stop_hooks_run_on_down_as_compose_runs_them(tmp_path, docker_client, images, run_launcher,
                                                         compose_binary):
    """pkg/e2e/fixtures/hooks/prestop/compose-success.yaml (its volume named per project, so runs stay apart)."""
    case = Case("pkg/e2e/fixtures/hooks/prestop/compose-success.yaml", """
        services:
          sample:
            image: IMAGE
            init: true  # so that `sleep` stops at once rather than after the 10 s grace
            command: sleep infinity
            volumes: [data:/data]
            pre_stop: [{command: sh -c 'echo "In the pre-stop" >> /data/log.txt'}]
        """, ok=True)
    token = uuid.uuid4().hex[:8]
    by_compose, by_launcher = f"ltc{token}", f"ltl{token}"
    stack = write_stack(tmp_path / "stack", by_launcher, case)
    with open(stack / "main.yaml", "a") as compose_file:
        compose_file.write("volumes:\n  data: {}\n")
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    compose = [compose_binary, "-p", by_compose, "--env-file", str(stack / ".env"), *compose_files(stack)]
    logs = {}
    try:
        assert run_launcher("init", "--non-interactive", cwd=stack, env=env).returncode == 0
        for project, start, stop in (
                (by_compose, [*compose, "up", "-d", "--wait"], [*compose, "down"]),
                (by_launcher, ["up"], ["down"])):
            runner = (lambda argv: subprocess.run(argv, cwd=stack, capture_output=True, text=True, timeout=120)) \
                if project == by_compose else (lambda argv: run_launcher(*argv, cwd=stack, env=env))
            assert runner(start).returncode == 0
            recorder = EventRecorder(docker_client, project)
            result = runner(stop)
            time.sleep(0.3)
            recorder.stop()
            assert result.returncode == 0, result.stderr
            actions = [event["Action"].split(":")[0] for event in recorder.events]
            assert "exec_start" in actions and actions.index("exec_start") < actions.index("kill"), actions
            logs[project] = docker_client.containers.run(BUSYBOX, ["cat", "/data/log.txt"], remove=True,
                                                         volumes={f"{project}_data": {"bind": "/data"}})
        assert logs[by_launcher] == logs[by_compose] == b"In the pre-stop\n"
    finally:
        remove_compose_project(docker_client, by_compose)
        remove_compose_project(docker_client, by_launcher)


def test_down_removes_containers_no_compose_file_declares_where_compose_keeps_them(
        tmp_path, docker_client, images, run_launcher, compose_binary):
    """A decided difference: a container started by hand into the project goes with `launcher down`,
    and is named; plain `docker compose down` keeps it (pkg/e2e/orphans_test.go warns about it)."""
    case = Case("pkg/e2e/fixtures/profiles/compose.yaml (its regular service)",
                "services:\n  regular-service: {image: IMAGE, init: true, command: sleep infinity}\n", ok=True)
    token = uuid.uuid4().hex[:8]
    by_compose, by_launcher = f"ltc{token}", f"ltl{token}"
    stack = write_stack(tmp_path / "stack", by_launcher, case)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    compose = [compose_binary, "-p", by_compose, "--env-file", str(stack / ".env"), *compose_files(stack)]
    try:
        assert run_launcher("init", "--non-interactive", cwd=stack, env=env).returncode == 0
        assert subprocess.run([*compose, "up", "-d", "--wait"], cwd=stack, capture_output=True).returncode == 0
        assert run_launcher("up", cwd=stack, env=env).returncode == 0
        other = tmp_path / "other.yml"  # outside the stack's folder: no compose file of the stack
        other.write_text(f"services:\n  by-hand: {{image: {BUSYBOX}, init: true, command: sleep 600}}\n")
        for project in (by_compose, by_launcher):
            # A user starting something by hand into the project, with compose and another file.
            started = subprocess.run([compose_binary, "-p", project, "-f", str(other), "up", "-d"],
                                     capture_output=True, text=True, timeout=60)
            assert started.returncode == 0, started.stderr
        subprocess.run([*compose, "down"], cwd=stack, capture_output=True, timeout=120)
        down = run_launcher("down", "--json", cwd=stack, env=env)
        assert down.returncode == 0, down.stderr
        finished = [event for event in map(json.loads, down.stdout.splitlines()) if event.get("event") == "finished"]
        assert finished[-1]["details"]["orphans"] == [f"{by_launcher}-by-hand-1"], down.stdout
        left = {project: [c.name for c in docker_client.containers.list(
            all=True, filters={"label": f"{PROJECT_LABEL}={project}"})] for project in (by_compose, by_launcher)}
        assert left == {by_compose: [f"{by_compose}-by-hand-1"], by_launcher: []}
    finally:
        remove_compose_project(docker_client, by_compose)
        remove_compose_project(docker_client, by_launcher)


# ---------------------------------------------------------------------------------------------
# The second `up`: compose converges the running stack on the files, and so does the launcher.
# Each row is brought up by both tools, edited the same way, brought up again by both; then
# which containers were recreated (a new id) or restarted (same id, started again), the values
# in their environment, the replica count, the exit status and the `depends_on` labels must match.

CONVERGE_MANIFEST = """\
[stack]
name = "{project}"
compose_env_output = "env"

[groups.base]
compose = ["base.yaml"]

[groups.main]
compose = ["main.yaml"]
after = ["base"]

[settings.GREETING]
default = "hello"
description = "an interpolated setting"

[outputs.env]
template = "envtemplates/env"
path = ".env"
"""

CONVERGE_FILES = {
    "base.yaml": """\
services:
  db:
    image: IMAGE
    pull_policy: never
    init: true
    command: sleep infinity
    environment: {FOO: one}
    volumes: [data:/data]
volumes:
  data: {}
""",
    "main.yaml": """\
services:
  app:
    image: IMAGE
    pull_policy: never
    init: true
    command: sleep infinity
    environment: {GREETING: "${GREETING}"}
    deploy: {replicas: 1}
    depends_on: {db: {condition: service_started, restart: true}}
  tool:
    build: {context: ./build, args: {WORD: first}}
    pull_policy: build
    init: true
    command: sh -c 'cat /word && exec sleep infinity'
""",
}


def converge_edit(stack: Path, row: str, run_launcher, env: dict) -> None:
    """The edit of each row, made once: both tools read the same files."""
    if row == "env-edited":
        edit(stack / "base.yaml", "FOO: one", "FOO: two")
    elif row == "setting":
        result = run_launcher("init", "--non-interactive", "--set", "GREETING=bye", cwd=stack, env=env)
        assert result.returncode == 0, result.stderr
    elif row == "replicas":
        edit(stack / "main.yaml", "replicas: 1", "replicas: 2")
    elif row == "build-arg":
        edit(stack / "main.yaml", "WORD: first", "WORD: second")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def converged(client, project: str) -> dict:
    """Per service: each container's id, start time, environment values of interest, depends_on label."""
    found: dict[str, list] = {}
    for item in client.containers.list(all=True, filters={"label": f"{PROJECT_LABEL}={project}"}):
        item.reload()
        env = dict(entry.split("=", 1) for entry in item.attrs["Config"]["Env"] or ())
        word = item.exec_run(["cat", "/word"]).output.decode().strip() if item.labels[SERVICE_LABEL] == "tool" else ""
        found.setdefault(item.labels[SERVICE_LABEL], []).append({
            "id": item.id, "started": item.attrs["State"]["StartedAt"], "state": item.attrs["State"]["Status"],
            "env": {name: env.get(name) for name in ("FOO", "GREETING")}, "word": word,
            "depends_on": set(filter(None, item.labels.get("com.docker.compose.depends_on", "").split(","))),
        })
    return found


def compared(before: dict, after: dict) -> dict:
    """What the second `up` did, in terms both tools can be held to (no ids, which differ by project)."""
    result = {}
    for service, containers in after.items():
        old = {c["id"]: c for c in before.get(service, [])}
        result[service] = {
            "replicas": len(containers),
            "recreated": sorted(c["id"] not in old for c in containers),
            "restarted": sorted(c["id"] in old and c["started"] != old[c["id"]]["started"] for c in containers),
            "states": sorted(c["state"] for c in containers),
            "env": [c["env"] for c in containers][0],
            "word": containers[0]["word"],
            "depends_on": containers[0]["depends_on"],
        }
    return result


@pytest.fixture
def converge_stack(tmp_path):
    def make(project: str) -> Path:
        stack = tmp_path / "stack"
        (stack / "envtemplates").mkdir(parents=True)
        (stack / "envtemplates" / "env").write_text("GREETING=${GREETING}\n")
        (stack / "stack.toml").write_text(CONVERGE_MANIFEST.format(project=project))
        for name, text in CONVERGE_FILES.items():
            (stack / name).write_text(text.replace("IMAGE", BUSYBOX))
        (stack / "build").mkdir()
        (stack / "build" / "Dockerfile").write_text(f"FROM {BUSYBOX}\nARG WORD\nRUN echo \"$WORD\" > /word\n")
        return stack
    return make


@pytest.mark.parametrize("row", ["env-edited", "setting", "replicas", "build-arg"])
def test_the_second_up_converges_as_compose_does(row, tmp_path, converge_stack, docker_client, images, run_launcher,
                                                 compose_binary):
    token = uuid.uuid4().hex[:8]
    by_compose, by_launcher = f"ltc{token}", f"ltl{token}"
    stack = converge_stack(by_launcher)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    compose = [compose_binary, "-p", by_compose, "--env-file", str(stack / ".env"), "-f", str(stack / "base.yaml"),
               "-f", str(stack / "main.yaml"), "up", "-d", "--wait"]  # no --pull: it would override `build`
    try:
        assert run_launcher("init", "--non-interactive", cwd=stack, env=env).returncode == 0
        runs = {}
        for step in ("first", "second"):
            if step == "second":
                converge_edit(stack, row, run_launcher, env)
            by_compose_run = subprocess.run(compose, cwd=stack, capture_output=True, text=True, timeout=180)
            by_launcher_run = run_launcher("up", "--json", cwd=stack, env=env, timeout=180)
            shown = (f"compose said:\n{by_compose_run.stdout}{by_compose_run.stderr}\n"
                     f"launcher said:\n{by_launcher_run.stdout}{by_launcher_run.stderr}")
            assert by_compose_run.returncode == by_launcher_run.returncode == 0, shown
            runs[step] = (converged(docker_client, by_compose), converged(docker_client, by_launcher), shown)
        (compose_first, launcher_first, _), (compose_second, launcher_second, shown) = runs["first"], runs["second"]
        # The first start writes the labels compose writes, a later group's `depends_on` included.
        assert launcher_first["app"][0]["depends_on"] == compose_first["app"][0]["depends_on"] == {
            "db:service_started:true"}
        assert compared(launcher_first, launcher_second) == compared(compose_first, compose_second), shown
        what = compared(launcher_first, launcher_second)
        expected = {
            "env-edited": ("db", {"recreated": [True]}),
            "setting": ("app", {"recreated": [True], "env": {"FOO": None, "GREETING": "bye"}}),
            "replicas": ("app", {"replicas": 2, "recreated": [False, True]}),
            "build-arg": ("tool", {"recreated": [True], "word": "second"}),
        }[row]
        for key, value in expected[1].items():
            assert what[expected[0]][key] == value, (key, what)
        if row == "env-edited":
            # `restart: true` on db: compose stops app before it recreates db, then starts it again.
            assert what["app"]["restarted"] == [True] and what["app"]["recreated"] == [False], what
        # Why, as the launcher acted: the keys that changed, never a value.
        events = [json.loads(line) for line in runs["second"][2].split("launcher said:\n", 1)[1].splitlines()
                  if line.startswith("{")]
        changes = {event["service"]: (event["action"], event["reasons"]) for event in events
                   if event["event"] == "service-change"}
        assert changes[expected[0]][0] in ("recreate", "scale", "rebuild"), changes
        if row == "env-edited":
            assert changes == {"db": ("recreate", ["environment.FOO"]), "app": ("restart", ["db is recreated"])}
            assert any(event["event"] == "recreating-data" and event["service"] == "db" for event in events)
        # A third `up` finds nothing to do.
        third = run_launcher("up", "--json", cwd=stack, env=env, timeout=180)
        assert third.returncode == 0 and '"service-change"' not in third.stdout, third.stdout
    finally:
        remove_compose_project(docker_client, by_compose)
        remove_compose_project(docker_client, by_launcher)
        for project in (by_compose, by_launcher):
            try:
                docker_client.images.remove(f"{project}-tool", force=True)
            except Exception:  # noqa: BLE001 - not built when the run stopped before
                pass


def test_up_dry_run_names_the_changes_and_changes_nothing(tmp_path, converge_stack, docker_client, images,
                                                          run_launcher):
    project = f"ltd{uuid.uuid4().hex[:8]}"
    stack = converge_stack(project)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    try:
        assert run_launcher("init", "--non-interactive", cwd=stack, env=env).returncode == 0
        assert run_launcher("up", cwd=stack, env=env, timeout=180).returncode == 0
        before = converged(docker_client, project)
        edit(stack / "base.yaml", "FOO: one", "FOO: secret-value")
        edit(stack / "main.yaml", "replicas: 1", "replicas: 2")
        edit(stack / "main.yaml", "WORD: first", "WORD: second")
        result = run_launcher("up", "--dry-run", "--json", cwd=stack, env=env, timeout=180)
        assert result.returncode == 0, result.stderr
        assert "secret-value" not in result.stdout
        events = [json.loads(line) for line in result.stdout.splitlines()]
        changes = [(e["service"], e["action"], e["reasons"]) for e in events if e["event"] == "service-change"]
        assert changes == [
            ("tool", "rebuild", ["build.args.WORD"]),
            ("db", "recreate", ["environment.FOO"]),
            ("app", "scale", ["deploy.replicas 1 -> 2"]),
            ("tool", "recreate", ["image"]),
        ], changes
        assert converged(docker_client, project) == before
        assert len(docker_client.images.list(name=f"{project}-tool")) == 1
        plain = run_launcher("up", "--dry-run", cwd=stack, env=env, timeout=180)
        assert "  db: recreate (environment.FOO changed)" in plain.stdout, plain.stdout
        assert "  app: scale 1 -> 2" in plain.stdout, plain.stdout
        assert converged(docker_client, project) == before
        # Applied, then `upgrade --plan` has nothing left: the record follows what up converged.
        assert run_launcher("up", cwd=stack, env=env, timeout=180).returncode == 0
        upgrade = run_launcher("upgrade", "--plan", "--json", cwd=stack, env=env, timeout=180)
        assert upgrade.returncode == 0, upgrade.stderr
        assert json.loads(upgrade.stdout)["configs"] == [], upgrade.stdout
    finally:
        remove_compose_project(docker_client, project)
        try:
            docker_client.images.remove(f"{project}-tool", force=True)
        except Exception:  # noqa: BLE001
            pass


def test_a_completed_job_runs_again_on_the_next_up_as_compose_runs_it(tmp_path, docker_client, images, run_launcher,
                                                                      compose_binary):
    """A decision (docs/daily-use.md): compose's `up` starts the job that completed again; so does the
    launcher's (through the API); the server that waited for it keeps running in both."""
    case = Case("pkg/e2e/fixtures/init-container/compose.yaml, up twice", """
        services:
          job: {image: IMAGE, command: /bin/true}
          app:
            image: IMAGE
            init: true
            command: sleep infinity
            depends_on: {job: {condition: service_completed_successfully}}
        """, ok=True)
    token = uuid.uuid4().hex[:8]
    by_compose, by_launcher = f"ltc{token}", f"ltl{token}"
    stack = write_stack(tmp_path / "stack", by_launcher, case)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    compose = [compose_binary, "-p", by_compose, "--env-file", str(stack / ".env"), *compose_files(stack),
               "up", "-d", "--wait"]
    started = {}
    try:
        assert run_launcher("init", "--non-interactive", cwd=stack, env=env).returncode == 0
        for project, up in ((by_compose, lambda: subprocess.run(compose, cwd=stack, capture_output=True, text=True,
                                                                timeout=120)),
                            (by_launcher, lambda: run_launcher("up", cwd=stack, env=env, timeout=120))):
            first = up()
            assert first.returncode == 0, first.stdout + first.stderr
            recorder = EventRecorder(docker_client, project)
            second = up()
            time.sleep(0.3)
            recorder.stop()
            assert second.returncode == 0, second.stdout + second.stderr
            started[project] = sorted(event["Actor"]["Attributes"][SERVICE_LABEL] for event in recorder.events
                                      if event.get("Action") == "start")
            states = {c.labels[SERVICE_LABEL]: (c.status, c.attrs["State"]["ExitCode"]) for c in
                      docker_client.containers.list(all=True, filters={"label": f"{PROJECT_LABEL}={project}"})}
            assert states == {"job": ("exited", 0), "app": ("running", 0)}, states
        assert started[by_launcher] == started[by_compose] == ["job"]
    finally:
        remove_compose_project(docker_client, by_compose)
        remove_compose_project(docker_client, by_launcher)


def test_the_wait_allows_the_start_period_of_the_images_own_healthcheck(tmp_path, docker_client, images, run_launcher,
                                                                       compose_binary, monkeypatch):
    """The issue's image with --start-period=120s, ready at 75 s, scaled down: the launcher runs in this
    process on a clock 20 times faster than the engine's, so its 60 s least wait lasts 3 s; the image
    allows 600 s (30 s here, room for a loaded machine) and turns healthy after about 5 s. Compose's
    --wait waits; so must `up`."""
    import io

    from wizard.core.lifecycle import launch
    from wizard.core.manifest.stack import load_stack
    from wizard.core.support.events import ServiceReady

    token = uuid.uuid4().hex[:8]
    image = f"launcher-test/slowstart-{token}:1"
    dockerfile = (f"FROM {BUSYBOX}\n"
                  "HEALTHCHECK --interval=1s --start-period=600s CMD test -f /tmp/ready\n")
    docker_client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=image, pull=False, rm=True)
    case = Case("no fixture upstream: an image's own HEALTHCHECK with a long start period", """
        services:
          slow: {image: SLOW, init: true, command: sh -c 'sleep 5; touch /tmp/ready; exec sleep infinity'}
        """.replace("SLOW", image), ok=True)
    by_compose, by_launcher = f"ltc{token}", f"ltl{token}"
    stack = write_stack(tmp_path / "stack", by_launcher, case)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    try:
        assert run_launcher("init", "--non-interactive", cwd=stack, env=env).returncode == 0
        compose = subprocess.run([compose_binary, "-p", by_compose, "--env-file", str(stack / ".env"),
                                  *compose_files(stack), "up", "-d", "--wait"], cwd=stack, capture_output=True,
                                 text=True, timeout=120)
        assert compose.returncode == 0, compose.stderr
        monkeypatch.setenv("XDG_CACHE_HOME", env["XDG_CACHE_HOME"])
        began = time.monotonic()
        events = list(launch.up(load_stack(stack / "stack.toml"), clock=lambda: (time.monotonic() - began) * 20))
        ready = [event for event in events if isinstance(event, ServiceReady) and event.service == "slow"]
        assert ready and ready[0].how == "healthy" and ready[0].elapsed > 60, ready  # past the old 60 s
        for project in (by_compose, by_launcher):
            found = docker_client.containers.list(filters={"label": f"{PROJECT_LABEL}={project}"})
            assert [c.attrs["State"]["Health"]["Status"] for c in found] == ["healthy"], project
    finally:
        remove_compose_project(docker_client, by_compose)
        remove_compose_project(docker_client, by_launcher)
        docker_client.images.remove(image, force=True)
