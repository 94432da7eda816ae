"""The light client's own HTTP/1.1 framing, against a real server on a unix socket answering fixed bytes."""

from __future__ import annotations

import json
import socketserver
import threading
import time

import pytest

from wizard.core.docker.lightclient import LightClient
from wizard.core.support.errors import DockerUnavailable

NOT_DOCKER = "something answers there, but not as a Docker engine"


class Replay(socketserver.BaseRequestHandler):
    """Reads the request head, answers ``server.answer`` (bytes, or a list sent with pauses), maybe stays open."""

    def handle(self):
        head = b""
        while b"\r\n\r\n" not in head:
            data = self.request.recv(65536)
            if not data:
                return
            head += data
        self.server.requests.append(head)
        # ``answers``: one answer per connection, in order (then ``answer`` for any more).
        answer = self.server.answers.pop(0) if self.server.answers else self.server.answer
        for part in answer if isinstance(answer, list) else [answer]:
            self.request.sendall(part)
            time.sleep(0.05)
        if self.server.hold_open:
            self.server.release.wait(10)


class ReplayServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


@pytest.fixture
def engine(tmp_path):
    path = tmp_path / "engine.sock"
    server = ReplayServer(str(path), Replay)
    server.answer, server.hold_open, server.requests, server.release = b"", False, [], threading.Event()
    server.answers = []
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server, LightClient(f"unix://{path}")
    server.release.set()
    server.shutdown()
    server.server_close()


def chunked(*parts: bytes) -> bytes:
    return b"".join(b"%x;ext=1\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\nTrailer: x\r\n\r\n"


def test_the_request_line_and_host_header(engine):
    server, client = engine
    server.answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK"
    client.ping()
    client.get("/containers/json", {"all": "1", "filters": json.dumps({"label": ["a=b c"]})})
    first, second = server.requests
    assert first.startswith(b"GET /_ping HTTP/1.1\r\n") and b"\r\nHost: docker\r\n" in first
    assert second.startswith(b"GET /containers/json?all=1&filters=%7B%22label%22%3A%20%5B%22a%3Db%20c%22%5D%7D ")


def test_a_content_length_body_ends_at_its_length_even_if_the_connection_stays_open(engine):
    server, client = engine
    server.answer = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n[{"Id": "a"}]'
    server.hold_open = True
    started = time.monotonic()
    assert client.containers() == [{"Id": "a"}]
    assert time.monotonic() - started < 5  # did not wait for the close


def test_a_chunked_body_arriving_in_pieces_is_put_back_together(engine):
    server, client = engine
    body = chunked(b'[{"Id": "a", ', b'"State": "running"}', b"]")
    server.answer = [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", body[:7], body[7:30], body[30:]]
    server.hold_open = True
    assert client.containers() == [{"Id": "a", "State": "running"}]


def test_a_body_without_length_runs_until_the_close(engine):
    server, client = engine
    server.answer = [b"HTTP/1.0 200 OK\r\n\r\n", b'{"ApiVersion": ', b'"1.41"}']
    assert client.get("/version") == {"ApiVersion": "1.41"}


def test_no_content_needs_no_body_nor_close(engine):
    server, client = engine
    server.answer = b"HTTP/1.1 204 No Content\r\n\r\n"
    server.hold_open = True
    assert client.post("/containers/abc/start") == ""
    assert server.requests[0].startswith(b"POST /containers/abc/start HTTP/1.1\r\n")


def test_an_error_status_keeps_the_engines_words(engine):
    server, client = engine
    server.answer = chunked(b'{"message": "No such container: abc"}').join(
        [b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n", b""])
    with pytest.raises(DockerUnavailable, match="answered 404: No such container: abc"):
        client.post("/containers/abc/start")


@pytest.mark.parametrize("answer", [
    b"hello\n",  # not HTTP at all
    b"SSH-2.0-OpenSSH_9.2\r\n",
    b"HTTP/1.1 2x0 OK\r\n\r\n",  # a status that is not a number
    b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: lots\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n<html>",  # HTTP, but not the API
    "HTTP/1.1 200 OK\r\nContent-Length: \u00b2\r\n\r\n".encode("latin-1"),  # a digit, but not 0-9
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[]xx\r\n0\r\n\r\n",  # no end of chunk
])
def test_something_that_is_not_a_docker_engine_is_named_as_such(engine, answer):
    server, client = engine
    server.answer = answer
    with pytest.raises(DockerUnavailable, match=NOT_DOCKER):
        client.ping()


@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n[1, 2",  # the body cut short
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n[1, 2",
    b"HTTP/1.1 200 OK\r\nContent-Le",  # the head cut short
])
def test_an_answer_cut_short_is_no_answer(engine, answer):
    server, client = engine
    server.answer = answer
    with pytest.raises(DockerUnavailable, match=r"not reachable at .*\(no answer\)"):
        client.ping()


def test_a_read_hung_up_on_is_asked_once_more_and_a_second_hang_up_is_named(engine):
    server, client = engine
    server.answers = [b"", b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n[1, 2]"]
    assert client.get("/tasks") == [1, 2]
    assert len(server.requests) == 2
    server.answer = b""
    with pytest.raises(DockerUnavailable, match=r"\(it closed the connection without an answer\)"):
        client.get("/tasks")
    assert len(server.requests) == 4


def test_a_change_hung_up_on_is_never_sent_twice(engine):
    server, client = engine
    server.answers = [b"", b"HTTP/1.1 204 No Content\r\n\r\n"]
    with pytest.raises(DockerUnavailable, match=r"without an answer"):
        client.post("/containers/x/start")
    assert len(server.requests) == 1


def test_a_stream_gives_each_chunk_as_it_comes_and_abort_wakes_its_reader(engine):
    server, client = engine
    server.answer = [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                     b'9\r\n{"id": 1}\r\n', b'9\r\n{"id": 2}\r\n']
    server.hold_open = True
    answer, close = client.stream("/events", {"filters": "{}"})
    assert answer.read1(65536) == b'{"id": 1}'
    assert answer.read1(65536) == b'{"id": 2}'
    ended = threading.Event()

    def read_more():
        try:
            answer.read1(65536)
        except Exception:  # noqa: BLE001 - closed under it: what EventWatcher expects
            pass
        ended.set()

    threading.Thread(target=read_more, daemon=True).start()
    assert not ended.wait(0.3)  # blocked: the stream is quiet
    close()
    assert ended.wait(5)


def test_a_stream_that_ends_reads_empty(engine):
    server, client = engine
    server.answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(b"one")
    answer, close = client.stream("/events")
    assert answer.read1(65536) == b"one"
    assert answer.read1(65536) == b"" and answer.read1(65536) == b""
    close()


def test_a_head_that_is_not_http_closes_the_connection():
    import socket

    from wizard.core.docker.lightclient import Answer, NotHTTP

    ours, theirs = socket.socketpair()
    theirs.settimeout(5)
    theirs.sendall(b"hello\n")
    with pytest.raises(NotHTTP) as caught:
        Answer(ours)
    ours.close()
    # The error (kept, as a caller's handler would hold it) must not keep the descriptor open.
    assert theirs.recv(1) == b""
    assert caught.value is not None
    theirs.close()
