"""The engine is found as the Docker CLI finds it: a context, no DOCKER_HOST, and everything goes there.

The context is made by the real CLI (`docker context create NAME --docker host=unix://...`) in a
temporary DOCKER_CONFIG, so the user's own config is never touched. Its endpoint is a socket
of the test's own that forwards to the test bed's engine and notes every request: the
launcher's list calls and compose's container creations both pass through it, which the
default socket would not see. A context pointing at a socket that does not exist makes `up`
fail in one line naming the context (the launcher follows the context, not the default socket).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import threading
import uuid
from pathlib import Path

import pytest

from tests.conftest import remove_compose_project
from wizard.exitcodes import ExitCode

pytestmark = pytest.mark.integration

ENGINE = "/var/run/docker.sock"
BUSYBOX = "launcher-test/busybox:1"
REQUEST = re.compile(rb"(GET|POST|PUT|DELETE|HEAD) (/\S*) HTTP/1\.[01]\r\n")


class ForwardingSocket:
    """A unix socket that passes every connection on to the engine's and notes the requests sent through it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.requests: list[tuple[str, str]] = []
        self.listener = socket.socket(socket.AF_UNIX)
        self.listener.bind(str(path))
        self.listener.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            engine = socket.socket(socket.AF_UNIX)
            engine.connect(ENGINE)
            threading.Thread(target=self._pump, args=(client, engine, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(engine, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, note: bool) -> None:
        try:
            while data := source.recv(65536):
                if note:
                    self.requests += [(m.group(1).decode(), m.group(2).decode()) for m in REQUEST.finditer(data)]
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def saw(self, method: str, pattern: str) -> bool:
        return any(m == method and re.search(pattern, path) for m, path in self.requests)

    def close(self) -> None:
        self.listener.close()


def docker_cli() -> str:
    return "/usr/local/bin/docker" if os.access("/usr/local/bin/docker", os.X_OK) else shutil.which("docker")


@pytest.fixture
def cli_config(tmp_path):
    """A DOCKER_CONFIG of the test's own, with the user's compose plugin; the environment to use it."""
    config = tmp_path / "docker-config"
    config.mkdir()
    plugins = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker") / "cli-plugins"
    (config / "cli-plugins").symlink_to(plugins)
    env = {key: value for key, value in os.environ.items() if key not in ("DOCKER_HOST", "DOCKER_CONTEXT")}
    return config, {**env, "DOCKER_CONFIG": str(config), "XDG_CACHE_HOME": str(tmp_path / "cache")}


def create_context(env: dict[str, str], name: str, host: str) -> None:
    for args in (["context", "create", name, "--docker", f"host={host}"], ["context", "use", name]):
        done = subprocess.run([docker_cli(), *args], env=env, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr


@pytest.fixture
def tiny_stack(tmp_path, docker_client, images):
    """One busybox service with a healthcheck, in a compose project of its own (removed afterwards)."""
    project = f"lctx{uuid.uuid4().hex[:8]}"
    root = tmp_path / "stack"
    (root / "envtemplates").mkdir(parents=True)
    (root / "envtemplates" / "env").write_text("# nothing to interpolate\n")
    (root / "main.yaml").write_text(
        f"services:\n  web:\n    image: {BUSYBOX}\n    pull_policy: never\n    init: true\n"
        "    command: sleep infinity\n"
        "    healthcheck: {test: [CMD, 'true'], interval: 1s, start_period: 0s}\n")
    (root / "stack.toml").write_text(f'[stack]\nname = "{project}"\ncompose_env_output = "env"\n\n'
                                     '[groups.main]\ncompose = ["main.yaml"]\n\n'
                                     '[outputs.env]\ntemplate = "envtemplates/env"\npath = ".env"\n')
    yield root, project
    remove_compose_project(docker_client, project)


def test_up_follows_the_current_context_and_so_does_compose(tmp_path, cli_config, tiny_stack, run_launcher,
                                                           docker_client):
    config, env = cli_config
    root, project = tiny_stack
    forwarder = ForwardingSocket(tmp_path / "engine.sock")
    try:
        create_context(env, "viaproxy", f"unix://{forwarder.path}")
        assert json.loads((config / "config.json").read_text())["currentContext"] == "viaproxy"
        assert run_launcher("init", "--non-interactive", cwd=root, env=env).returncode == 0
        up = run_launcher("up", "--non-interactive", cwd=root, env=env, timeout=180)
        assert up.returncode == 0, up.stderr
        # The launcher's own list calls and compose's creation of the container both came through the context.
        assert forwarder.saw("GET", r"/containers/json")
        assert forwarder.saw("POST", r"/containers/create\?name=" + project)
        web = docker_client.containers.list(filters={"label": f"com.docker.compose.project={project}"})
        assert [c.attrs["State"]["Health"]["Status"] for c in web] == ["healthy"]

        status = run_launcher("status", "--json", cwd=root, env=env)
        assert status.returncode == 0, status.stderr
        engine = json.loads(status.stdout)["engine"]
        assert engine["kind"] == "Docker" and engine["context"] == "viaproxy"
        assert engine["endpoint"] == f"unix://{forwarder.path}" and engine["rootless"] is False
        doctor = run_launcher("doctor", "--json", cwd=root, env=env)
        line = next(c for c in json.loads(doctor.stdout)["checks"] if c["name"] == "engine")["detail"]
        assert line.startswith("Docker 20.10") and "context viaproxy" in line, line
    finally:
        forwarder.close()


def test_a_context_at_a_missing_socket_fails_in_one_line_naming_it(tmp_path, cli_config, tiny_stack, run_launcher):
    _, env = cli_config
    root, _ = tiny_stack
    create_context(env, "nowhere", f"unix://{tmp_path}/no-engine.sock")
    assert run_launcher("init", "--non-interactive", cwd=root, env=env).returncode == 0
    up = run_launcher("up", "--non-interactive", cwd=root, env=env, timeout=120)
    assert up.returncode == ExitCode.DOCKER_UNAVAILABLE, up.stderr
    lines = up.stderr.strip().splitlines()
    assert len(lines) == 1 and "context nowhere" in lines[0] and "no-engine.sock (no socket there)" in lines[0]


def test_a_broken_cli_config_is_exit_3_naming_the_file(tmp_path, cli_config, tiny_stack, run_launcher):
    config, env = cli_config
    root, _ = tiny_stack
    (config / "config.json").write_text('{\n  "currentContext": "x",\n}\n')
    assert run_launcher("init", "--non-interactive", cwd=root, env=env).returncode == 0
    status = run_launcher("status", cwd=root, env=env)
    assert status.returncode == ExitCode.CONFIG
    assert status.stderr.strip().splitlines() == [status.stderr.strip()]
    assert f"{config / 'config.json'}:3: not valid JSON" in status.stderr


@pytest.fixture
def ssh_engine(tmp_path, cli_config):
    """An `ssh://` engine: a real sshd of the test's own on 127.0.0.1, reached by the name
    `launcher-remote` (an ssh alias, as users name their build boxes), whose sessions use the
    forwarding socket as their engine. `ssh` on PATH is the real client with this config added,
    noting each command it is asked to run."""
    _, env = cli_config
    folder = tmp_path / "ssh"
    folder.mkdir(mode=0o700)
    forwarder = ForwardingSocket(folder / "engine.sock")
    port = free_port()
    for key in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / key)], check=True)
    (folder / "authorized_keys").write_text((folder / "client_key.pub").read_text())
    (folder / "sshd_config").write_text(
        f"ListenAddress 127.0.0.1\nPort {port}\nHostKey {folder / 'host_key'}\n"
        f"AuthorizedKeysFile {folder / 'authorized_keys'}\nPidFile {folder / 'sshd.pid'}\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
        f"PermitRootLogin prohibit-password\nSetEnv DOCKER_HOST=unix://{forwarder.path}\n")
    (folder / "ssh_config").write_text(
        f"Host launcher-remote\n  HostName 127.0.0.1\n  Port {port}\n  IdentityFile {folder / 'client_key'}\n"
        f"  UserKnownHostsFile {folder / 'known_hosts'}\n  StrictHostKeyChecking accept-new\n  BatchMode yes\n")
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    (bin_dir / "ssh").write_text(f'#!/bin/sh\necho "$*" >> {folder / "ssh.log"}\n'
                                 f'exec {shutil.which("ssh")} -F {folder / "ssh_config"} "$@"\n')
    (bin_dir / "ssh").chmod(0o755)
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation folder
    sshd = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", str(folder / "sshd_config")],
                            stderr=open(folder / "sshd.log", "wb"), start_new_session=True)
    try:
        wait_for_port(port)
        yield forwarder, folder, {**env, "PATH": f"{bin_dir}:{env['PATH']}", "DOCKER_HOST": "ssh://root@launcher-remote"}
    finally:
        sshd.terminate()
        sshd.wait(timeout=10)
        forwarder.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, seconds: float = 10) -> None:
    import time

    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_an_ssh_engine_gets_every_call_and_the_checks_say_what_this_machine_cannot_see(
        tiny_stack, ssh_engine, run_launcher, docker_client):
    forwarder, folder, env = ssh_engine
    root, project = tiny_stack
    web_port = free_port()
    (root / "conf").mkdir()
    compose = root / "main.yaml"
    compose.write_text(compose.read_text() + f'    ports: ["127.0.0.1:{web_port}:8080"]\n'
                                             "    volumes: [./conf:/conf:ro]\n")
    assert run_launcher("init", "--non-interactive", cwd=root, env=env).returncode == 0
    up = run_launcher("up", "--json", cwd=root, env=env, timeout=240)
    assert up.returncode == 0, up.stderr
    checks = {event["check"]: event for event in map(json.loads, up.stdout.splitlines())
              if event["event"] == "preflight-check"}
    assert checks["ports"]["detail"] == ("1 free or already ours on launcher-remote "
                                         "(other programs there cannot be checked from here)")
    # Every call went over ssh to the remote end's engine: the launcher's (through the SDK) and compose's.
    assert "docker system dial-stdio" in (folder / "ssh.log").read_text()
    assert forwarder.saw("GET", r"/containers/json")
    assert forwarder.saw("POST", r"/containers/create\?name=" + project)
    web = docker_client.containers.list(filters={"label": f"com.docker.compose.project={project}"})
    assert [c.attrs["State"]["Health"]["Status"] for c in web] == ["healthy"]

    doctor = run_launcher("doctor", "--json", cwd=root, env=env)
    found = {check["name"]: check for check in json.loads(doctor.stdout)["checks"]}
    assert "at ssh://root@launcher-remote, DOCKER_HOST" in found["engine"]["detail"]
    assert found["disk"]["detail"].endswith("is on launcher-remote)")
    assert found["local paths"]["status"] == "warn"
    assert found["local paths"]["detail"].endswith("mounts these from its own disk: web (./conf)")
    assert found[f"port {web_port}"]["detail"].startswith("web: in use by this stack")

    status = run_launcher("status", "--json", cwd=root, env=env)
    assert json.loads(status.stdout)["engine"]["endpoint"] == "ssh://root@launcher-remote"
    down = run_launcher("down", cwd=root, env=env, timeout=120)
    assert down.returncode == 0, down.stderr
    assert forwarder.saw("DELETE", r"/containers/")
    assert docker_client.containers.list(all=True, filters={"label": f"com.docker.compose.project={project}"}) == []
