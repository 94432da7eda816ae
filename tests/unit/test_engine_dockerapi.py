"""The light read-only API client against a stand-in engine on a unix socket (the real one: integration)."""

from __future__ import annotations

import json
import socketserver
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import pytest

from wizard.core.docker.lightclient import LightClient
from wizard.core.support.errors import DockerUnavailable


class Handler(BaseHTTPRequestHandler):
    seen: list[tuple[str, dict]] = []

    def do_GET(self):  # noqa: N802 - http.server's naming
        url = urlsplit(self.path)
        Handler.seen.append((url.path, parse_qs(url.query)))
        if url.path == "/_ping":
            body, status = b"OK", 200
        elif url.path == "/containers/json":
            body, status = json.dumps([{"Id": "a", "State": "running"}]).encode(), 200
        else:
            body, status = json.dumps({"message": "page not found"}).encode(), 404
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):
        request, _ = super().get_request()
        return request, ("local", 0)  # BaseHTTPRequestHandler wants a (host, port) client address


@pytest.fixture
def engine_socket(tmp_path):
    path = tmp_path / "engine.sock"
    server = UnixHTTPServer(str(path), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Handler.seen.clear()
    yield f"unix://{path}"
    server.shutdown()
    server.server_close()


def test_ping_and_filtered_list(engine_socket):
    client = LightClient(engine_socket)
    client.ping()
    assert client.containers({"label": ["com.docker.compose.project=demo"]}) == [{"Id": "a", "State": "running"}]
    path, query = Handler.seen[-1]
    assert path == "/containers/json" and query["all"] == ["1"]
    assert json.loads(query["filters"][0]) == {"label": ["com.docker.compose.project=demo"]}


def test_api_error_is_one_line(engine_socket):
    with pytest.raises(DockerUnavailable, match="answered 404: page not found"):
        LightClient(engine_socket).get("/nope")


def test_closed_socket_is_connection_refused(tmp_path):
    import socket

    path = tmp_path / "closed.sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()
    with pytest.raises(DockerUnavailable, match=r"not reachable at .*\(connection refused\)"):
        LightClient(f"unix://{path}").ping()


@pytest.mark.parametrize("environ, light", [
    ({}, True), ({"DOCKER_HOST": "unix:///run/user/1000/docker.sock"}, True),
    ({"DOCKER_HOST": "tcp://127.0.0.1:2375"}, True), ({"DOCKER_HOST": "ssh://me@box"}, False),
    ({"DOCKER_HOST": "tcp://127.0.0.1:2376", "DOCKER_TLS_VERIFY": "1"}, False),
])
def test_only_plain_local_transports_are_handled(environ, light):
    assert (LightClient.for_environment(environ) is not None) == light
