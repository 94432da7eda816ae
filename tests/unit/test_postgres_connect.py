"""postgres._connect: an unreachable server is one line that keeps libpq's cause."""

from __future__ import annotations

import socket

import pytest

from wizard.core.support.errors import SeedFailed
from wizard.core.seeds.postgres.apply import _connect


def test_a_refused_connection_keeps_the_cause_on_one_line():
    with socket.socket() as probe:  # a port nobody listens on: bound, never listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        with pytest.raises(SeedFailed) as failed:
            _connect(f"postgresql://postgres:s3cret-pw@127.0.0.1:{port}/postgres?connect_timeout=2")
    message = failed.value.message
    assert "Connection refused" in message
    assert "\n" not in message and "\t" not in message
    assert "s3cret-pw" not in message
