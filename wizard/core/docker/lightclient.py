"""A tiny Docker Engine API client for the hot paths: ping, the container list, starts, events.

Why not the Docker SDK here: importing it (requests, urllib3) costs more than a
whole `docker compose ps`, and `launcher status` / a no-op `launcher up` make
just one or two GET calls. Everything else (inspect, logs, exec, info) still
goes through the SDK. Only plain local transports are handled (a unix socket,
or tcp:// without TLS); for anything else ``for_environment`` returns None and
the caller uses the SDK.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
from typing import Any, Callable, Mapping
from urllib.parse import quote, urlencode, urlsplit

from wizard.core.docker.failures import engine_unreachable
from wizard.core.errors import DockerUnavailable

DEFAULT_SOCKET = "/var/run/docker.sock"
TIMEOUT = 30.0


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


class LightClient:
    """Requests to the engine, one connection per call (calls are few and far between)."""

    def __init__(self, host: str) -> None:
        self.host = host

    @classmethod
    def for_environment(cls, environ: Mapping[str, str] | None = None) -> "LightClient | None":
        """A client for DOCKER_HOST when it is a plain local transport, else None (use the SDK)."""
        environ = os.environ if environ is None else environ
        host = environ.get("DOCKER_HOST") or f"unix://{DEFAULT_SOCKET}"
        if environ.get("DOCKER_TLS_VERIFY") or environ.get("DOCKER_CONTEXT"):
            return None
        if host.startswith("unix://") or (host.startswith("tcp://") and not host.endswith(":2376")):
            return cls(host)
        return None

    def _connection(self) -> http.client.HTTPConnection:
        if self.host.startswith("unix://"):
            return _UnixConnection(self.host[len("unix://"):], TIMEOUT)
        parts = urlsplit(self.host)
        return http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 2375, timeout=TIMEOUT)

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET ``path`` and return the decoded JSON; DockerUnavailable when the engine does not answer."""
        return self.request("GET", path, params)

    def post(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """POST without a body (start a container); an answer of 400 or more raises, with the engine's words."""
        return self.request("POST", path, params)

    def delete(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("DELETE", path, params)

    def request(self, method: str, path: str, params: Mapping[str, Any] | None = None) -> Any:
        query = f"?{urlencode(params, quote_via=quote)}" if params else ""
        connection = self._connection()
        try:
            connection.request(method, path + query, headers={"Host": "docker"})
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            # HTTPException: something listens there but does not speak HTTP (BadStatusLine).
            raise engine_unreachable(exc) from None
        finally:
            connection.close()
        try:
            data = json.loads(body) if body.strip() and body.strip() != b"OK" else body.decode()
        except ValueError:
            data = None  # not JSON: an answer, but not a Docker engine's
        if response.status >= 400:
            message = data.get("message", "") if isinstance(data, dict) else body.decode("utf-8", "replace")
            raise DockerUnavailable(f"Docker API {path} answered {response.status}: {message[:200]}",
                                    "check the engine with `docker info`")
        if data is None:
            raise engine_unreachable(ValueError("NotDocker: the answer is not JSON"))
        return data

    def stream(self, path: str, params: Mapping[str, Any] | None = None) -> tuple[Any, Callable[[], None]]:
        """GET a streaming answer (``/events``): the open response, and what closes it.

        No timeout on this connection: the stream is quiet for as long as nothing happens.
        """
        query = f"?{urlencode(params, quote_via=quote)}" if params else ""
        connection = self._connection()
        connection.timeout = None
        try:
            connection.request("GET", path + query, headers={"Host": "docker"})
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise engine_unreachable(exc) from None
        if response.status >= 400:
            connection.close()
            raise DockerUnavailable(f"Docker API {path} answered {response.status}", "check the engine with `docker info`")

        def close() -> None:
            sock = connection.sock
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked reading it
                except OSError:
                    pass
            connection.close()

        return response, close

    def ping(self) -> None:
        self.get("/_ping")

    def containers(self, filters: Mapping[str, list[str]] | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"all": "1"}
        if filters:
            params["filters"] = json.dumps(filters)
        return self.get("/containers/json", params)
