"""Fixtures the unit tests share."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture
def listener():
    """A port this test process listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]
