"""Which engine: the Docker CLI's order (DOCKER_HOST, DOCKER_CONTEXT, currentContext, the default socket),
its files read strictly, and every client and process sent to that one engine.

The context files are written as `docker context create` writes them (checked against the
CLI 28 on the test bed: contexts/meta/<sha256 of the name>/meta.json beside config.json).
"""

from __future__ import annotations

import hashlib
import json
import socket
from pathlib import Path

import pytest

from wizard.core.docker.endpoint import DEFAULT_HOST, Endpoint, answering_socket, resolve, sdk_client
from wizard.core.docker.failures import engine_unreachable
from wizard.core.docker.lightclient import LightClient
from wizard.core.support.errors import ConfigError
from wizard.exitcodes import ExitCode


def write_context(config_dir: Path, name: str, host: str, *, tls: bool = False, **docker) -> Path:
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta = config_dir / "contexts" / "meta" / digest / "meta.json"
    meta.parent.mkdir(parents=True)
    meta.write_text(json.dumps({"Name": name, "Metadata": {},
                                "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": False, **docker}}}))
    if tls:
        folder = config_dir / "contexts" / "tls" / digest / "docker"
        folder.mkdir(parents=True)
        for file in ("ca.pem", "cert.pem", "key.pem"):
            (folder / file).write_text("not a real certificate\n")
    return meta


def use_context(config_dir: Path, name: str) -> None:
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.json").write_text(json.dumps({"auths": {}, "currentContext": name}))


@pytest.fixture
def cli(tmp_path):
    """A Docker CLI config folder with two contexts, `desk` (current) and `other`; the environment to use it."""
    config = tmp_path / "docker-config"
    write_context(config, "desk", "unix:///run/desk/docker.sock")
    write_context(config, "other", "tcp://10.0.0.9:2375")
    use_context(config, "desk")
    return config, {"DOCKER_CONFIG": str(config), "HOME": str(tmp_path / "home")}


def test_the_current_context_of_the_cli_config(cli):
    config, environ = cli
    found = resolve(environ)
    assert (found.host, found.context) == ("unix:///run/desk/docker.sock", "desk")
    assert found.source == f"currentContext in {config / 'config.json'}"


def test_docker_context_wins_over_the_config_and_docker_host_over_both(cli):
    _, environ = cli
    assert resolve({**environ, "DOCKER_CONTEXT": "other"}).host == "tcp://10.0.0.9:2375"
    found = resolve({**environ, "DOCKER_CONTEXT": "other", "DOCKER_HOST": "unix:///tmp/x.sock"})
    assert (found.host, found.context, found.source) == ("unix:///tmp/x.sock", "", "DOCKER_HOST")


def test_the_default_context_and_no_config_mean_the_default_socket(cli, tmp_path):
    _, environ = cli
    assert resolve({**environ, "DOCKER_CONTEXT": "default"}) == Endpoint(DEFAULT_HOST, "the default socket")
    assert resolve({"HOME": str(tmp_path / "nobody")}).host == DEFAULT_HOST


def test_docker_config_is_honoured_over_home(cli, tmp_path):
    config, _ = cli
    home = tmp_path / "home"
    write_context(home / ".docker", "athome", "unix:///run/home.sock")
    use_context(home / ".docker", "athome")
    assert resolve({"HOME": str(home)}).context == "athome"
    assert resolve({"HOME": str(home), "DOCKER_CONFIG": str(config)}).context == "desk"


@pytest.mark.parametrize("text, line", [("{\n  \"currentContext\": \"desk\",\n}", 3), ("[1, 2]", 0),
                                        ('{"currentContext": 7}', 0)])
def test_a_wrong_config_file_is_one_line_naming_it(cli, text, line):
    config, environ = cli
    (config / "config.json").write_text(text)
    with pytest.raises(ConfigError) as raised:
        resolve(environ)
    where = f"{config / 'config.json'}:{line}" if line else str(config / "config.json")
    assert raised.value.where == where and raised.value.exit_code == ExitCode.CONFIG
    assert "\n" not in raised.value.one_line()


def test_an_empty_config_file_is_no_config_as_for_the_cli(cli):
    config, environ = cli
    (config / "config.json").write_text("")
    assert resolve(environ).host == DEFAULT_HOST


def test_a_context_that_does_not_exist_names_itself_and_where_it_came_from(cli):
    _, environ = cli
    with pytest.raises(ConfigError, match=r"Docker context gone \(from DOCKER_CONTEXT\) does not exist"):
        resolve({**environ, "DOCKER_CONTEXT": "gone"})


@pytest.mark.parametrize("change, words", [
    ({"Name": "someone-else"}, "Name is 'someone-else'"),
    ({"Endpoints": {}}, "no Endpoints.docker"),
    ({"Endpoints": {"docker": {"Host": "/var/run/docker.sock"}}}, "not a unix://"),
    ({"Endpoints": {"docker": {"Host": "unix:///x", "SkipTLSVerify": "yes"}}}, "SkipTLSVerify"),
])
def test_a_wrong_context_file_is_one_line_naming_it(cli, change, words):
    config, environ = cli
    meta = config / "contexts" / "meta" / hashlib.sha256(b"desk").hexdigest() / "meta.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text()), **change}))
    with pytest.raises(ConfigError, match=words) as raised:
        resolve(environ)
    assert raised.value.where == str(meta)
    meta.write_text('{"Name": "desk",')
    with pytest.raises(ConfigError, match="not valid JSON"):
        resolve(environ)


def test_processes_get_the_context_itself_not_its_host(cli):
    _, environ = cli
    found = resolve(environ)
    env = found.environ({"PATH": "/bin", "DOCKER_HOST": "unix:///stale.sock"})
    assert env == {"PATH": "/bin", "DOCKER_CONTEXT": "desk"}
    assert Endpoint("unix:///x.sock", "DOCKER_HOST").environ({"DOCKER_HOST": "unix:///x.sock"}) == {
        "DOCKER_HOST": "unix:///x.sock"}


def test_a_context_with_tls_material_goes_through_the_sdk_with_it(tmp_path, monkeypatch):
    import docker.api.client

    # The SDK asks the engine for its API version as it connects: nobody listens here.
    monkeypatch.setattr(docker.api.client.APIClient, "_retrieve_server_version", lambda self: "1.41")
    config = tmp_path / "cfg"
    write_context(config, "remote", "tcp://127.0.0.1:2376", tls=True)
    found = resolve({"DOCKER_CONFIG": str(config), "DOCKER_CONTEXT": "remote"})
    assert found.tls_dir.endswith("/docker")
    assert LightClient.for_endpoint(found) is None  # the light client speaks no TLS
    client = sdk_client(found)
    assert client.api.base_url == "https://127.0.0.1:2376"
    assert client.api.cert == (f"{found.tls_dir}/cert.pem", f"{found.tls_dir}/key.pem")
    assert client.api.verify == f"{found.tls_dir}/ca.pem"


def test_a_plain_context_socket_uses_the_light_client(cli):
    _, environ = cli
    light = LightClient.for_environment(environ)
    assert light is not None and light.host == "unix:///run/desk/docker.sock"


def test_unreachable_names_the_context(cli):
    _, environ = cli
    error = engine_unreachable(FileNotFoundError(2, "No such file or directory"), resolve(environ))
    assert error.one_line().startswith("Docker engine not reachable at unix:///run/desk/docker.sock "
                                       "(no socket there), context desk (from currentContext in ")


def test_an_engine_answering_elsewhere_is_named_with_how_to_use_it(tmp_path, monkeypatch):
    runtime = tmp_path / "run"
    (runtime / "podman").mkdir(parents=True)
    path = runtime / "podman" / "podman.sock"
    environ = {"HOME": str(tmp_path / "home"), "XDG_RUNTIME_DIR": str(runtime)}
    assert answering_socket(environ) is None  # nothing there yet
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        server.listen()
        assert answering_socket(environ) == ("Podman", str(path))
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
        error = engine_unreachable(ConnectionRefusedError(111, "Connection refused"),
                                   Endpoint(DEFAULT_HOST, "the default socket"))
    assert error.hint == f"Podman answers at {path}: use it with `export DOCKER_HOST=unix://{path}`"
