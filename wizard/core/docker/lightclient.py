"""A tiny Docker Engine API client for the hot paths: ping, the container list, starts, events.

Why not the Docker SDK here: importing it (requests, urllib3) costs more than a
whole `docker compose ps`, and `launcher status` / a no-op `launcher up` make
just one or two GET calls. Everything else (inspect, logs, exec, info) still
goes through the SDK. Only plain transports are handled (a unix socket, or
tcp:// without TLS) of the engine ``wizard.core.docker.endpoint`` finds; for
anything else ``for_environment`` returns None and the caller uses the SDK.
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any, Callable, Mapping
from urllib.parse import quote, urlencode, urlsplit  # pathlib imports it already: free

from wizard.core.docker.endpoint import Endpoint, current, resolve
from wizard.core.docker.failures import engine_unreachable
from wizard.core.support.errors import DockerUnavailable

TIMEOUT = 30.0
# Why not http.client: it imports email, ssl and more, about 30 ms of CPU on every
# `status` and no-op `up` (measured), for one or two requests to a local engine.
# The exchange below is the little HTTP/1.1 those need: one request per connection.
MAX_LINE = 65536  # of a status line, a header or a chunk size: longer is not an engine
MAX_HEADERS = 100
NO_BODY = {204, 304}


class Unanswered(ConnectionResetError):
    """The engine closed the connection before its status line: the request was not answered."""


class NotHTTP(Exception):
    """The answer does not follow HTTP/1.1 (``engine_unreachable`` reads the "NotDocker" in its words)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"NotDocker: {what}")


class Answer:
    """An engine's answer: status, headers (names in lower case), and a body read in pieces.

    The body ends where HTTP says: after Content-Length bytes, at the last chunk of a
    chunked one, or (neither given) when the engine closes the connection.
    """

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._file = sock.makefile("rb")
        try:
            self._read_head()
        except BaseException:
            self._file.close()  # else the socket's fd stays open while this file object lives
            raise

    def _read_head(self) -> None:
        status_line = self._line()
        if not status_line:
            raise Unanswered("the engine closed the connection without an answer")
        version, _, rest = status_line.partition(b" ")
        code = rest[:3]
        if not version.startswith(b"HTTP/1.") or len(code) != 3 or not code.isdigit():
            raise NotHTTP(f"not an HTTP status line: {status_line[:40]!r}")
        self.status = int(code)
        self.headers: dict[str, str] = {}
        while (line := self._line()) not in (b"\r\n", b"\n"):
            if not line:
                raise ConnectionResetError("the connection closed in the middle of the headers")
            name, colon, value = line.partition(b":")
            if not colon or len(self.headers) >= MAX_HEADERS:
                raise NotHTTP(f"not an HTTP header: {line[:40]!r}")
            self.headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
        # _left: what is still to come of the body (or of the current chunk); None: up to the close.
        self._left: int | None = 0 if self.status in NO_BODY else None
        self._chunked = self._left is None and "chunked" in self.headers.get("transfer-encoding", "").lower()
        length = self.headers.get("content-length")
        if length is not None and not self._chunked and self._left is None:
            if not (length.isascii() and length.isdigit()):
                raise NotHTTP(f"not a Content-Length: {length[:40]!r}")
            self._left = int(length)

    def _line(self) -> bytes:
        line = self._file.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise NotHTTP("a line longer than any engine writes")
        if line and not line.endswith(b"\n"):
            raise ConnectionResetError("the connection closed in the middle of a line")
        return line

    def read1(self, size: int) -> bytes:
        """Some of the body as soon as it is here (at most ``size`` bytes); b"" at its end."""
        if self._chunked and not self._left:
            if self._left == 0:
                end = self._line()  # the line end closing the chunk just read
                if not end:
                    raise ConnectionResetError("the connection closed between two chunks")
                if end not in (b"\r\n", b"\n"):
                    raise NotHTTP("no line end after a chunk")
            size_line = self._line()
            if not size_line:
                raise ConnectionResetError("the connection closed between two chunks")
            digits = size_line.split(b";", 1)[0].strip()
            if not digits or any(c not in b"0123456789abcdefABCDEF" for c in digits):
                raise NotHTTP(f"not a chunk size: {size_line[:40]!r}")
            self._left = int(digits, 16)
            if self._left == 0:
                while self._line() not in (b"\r\n", b"\n", b""):
                    pass  # trailers, unused
                self._chunked = False  # done: _left stays 0
                return b""
        if self._left == 0:
            return b""
        data = self._file.read1(size if self._left is None else min(size, self._left))
        if self._left is not None:
            if not data:
                raise ConnectionResetError("the connection closed before the end of the answer")
            self._left -= len(data)
        return data

    def read(self) -> bytes:
        """The whole body."""
        parts = []
        while part := self.read1(MAX_LINE):
            parts.append(part)
        return b"".join(parts)

    def close(self) -> None:
        self._file.close()
        self._sock.close()

    def abort(self) -> None:
        """Close from another thread: also wakes the thread blocked reading the body."""
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # closed already
        self.close()


class LightClient:
    """Requests to the engine, one connection per call (calls are few and far between)."""

    def __init__(self, host: str, endpoint: Endpoint | None = None) -> None:
        self.host = host
        self.endpoint = endpoint or Endpoint(host, "DOCKER_HOST")
        # Whether the engine is Podman: every answer of its API service carries Libpod-API-Version
        # (None until the first answer). Its container list says nothing of health (see containers.py).
        self.podman: bool | None = None

    @classmethod
    def for_environment(cls, environ: Mapping[str, str] | None = None) -> "LightClient | None":
        """A client for the engine the CLI would use when its transport is plain, else None (use the SDK)."""
        endpoint = current() if environ is None else resolve(environ)
        tls_asked = bool((os.environ if environ is None else environ).get("DOCKER_TLS_VERIFY"))
        return cls.for_endpoint(endpoint, tls_asked=tls_asked)

    @classmethod
    def for_endpoint(cls, endpoint: Endpoint, *, tls_asked: bool = False) -> "LightClient | None":
        host = endpoint.host
        if endpoint.tls_dir or (tls_asked and not endpoint.context):
            return None
        if host.startswith("unix://") or (host.startswith("tcp://") and not host.endswith(":2376")):
            return cls(host, endpoint)
        return None

    def _connect(self, timeout: float | None) -> socket.socket:
        if self.host.startswith("unix://"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.settimeout(timeout)
                sock.connect(self.host[len("unix://"):])
            except OSError:
                sock.close()
                raise
            return sock
        parts = urlsplit(self.host)
        return socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 2375), timeout)

    def _exchange(self, method: str, path: str, params: Mapping[str, Any] | None,
                  timeout: float | None) -> Answer:
        """Send one request and read the answer's head; the caller reads the body and closes."""
        query = f"?{urlencode(params, quote_via=quote)}" if params else ""
        sock = self._connect(timeout)
        try:
            sock.sendall(f"{method} {path}{query} HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n"
                         "Connection: close\r\n\r\n".encode())
            return Answer(sock)
        except BaseException:
            sock.close()
            raise

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET ``path`` and return the decoded JSON; DockerUnavailable when the engine does not answer."""
        return self.request("GET", path, params)

    def post(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """POST without a body (start a container); an answer of 400 or more raises, with the engine's words."""
        return self.request("POST", path, params)

    def delete(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("DELETE", path, params)

    def request(self, method: str, path: str, params: Mapping[str, Any] | None = None) -> Any:
        # A read the engine dropped unanswered is asked once more, as HTTP clients do for idempotent
        # requests (a socket proxy or an engine restarting between two calls); a change never is.
        tries = 2 if method == "GET" else 1
        for tried in range(1, tries + 1):
            answer: Answer | None = None
            try:
                answer = self._exchange(method, path, params, TIMEOUT)
                self.podman = "libpod-api-version" in answer.headers
                body = answer.read()
                break
            except Unanswered as exc:
                if tried == tries:
                    raise engine_unreachable(exc, self.endpoint) from None
            except (OSError, NotHTTP) as exc:
                raise engine_unreachable(exc, self.endpoint) from None
            finally:
                if answer is not None:
                    answer.close()
        try:
            data = json.loads(body) if body.strip() and body.strip() != b"OK" else body.decode()
        except ValueError:
            data = None  # not JSON: an answer, but not a Docker engine's
        if answer.status >= 400:
            message = data.get("message", "") if isinstance(data, dict) else body.decode("utf-8", "replace")
            raise DockerUnavailable(f"Docker API {path} answered {answer.status}: {message[:200]}",
                                    "check the engine with `docker info`")
        if data is None:
            raise engine_unreachable(ValueError("NotDocker: the answer is not JSON"), self.endpoint)
        return data

    def stream(self, path: str, params: Mapping[str, Any] | None = None) -> tuple[Answer, Callable[[], None]]:
        """GET a streaming answer (``/events``): the open answer (read with ``read1``), and what closes it.

        No timeout on this connection: the stream is quiet for as long as nothing happens.
        """
        try:
            answer = self._exchange("GET", path, params, None)
        except (OSError, NotHTTP) as exc:
            raise engine_unreachable(exc, self.endpoint) from None
        if answer.status >= 400:
            answer.close()
            raise DockerUnavailable(f"Docker API {path} answered {answer.status}", "check the engine with `docker info`")
        return answer, answer.abort

    def ping(self) -> None:
        self.get("/_ping")

    def containers(self, filters: Mapping[str, list[str]] | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"all": "1"}
        if filters:
            params["filters"] = json.dumps(filters)
        return self.get("/containers/json", params)
