"""`launcher secrets rotate NAME --apply` end to end on the real engine and a real Postgres.

The stack (tests/fixtures/rotate_stack): the test-bed Postgres image with two roles sharing
PG_PASSWORD (`postgres` and `app-user`, a name that needs quoting) and a `client` service
whose healthcheck logs in with the password over TCP.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import psycopg
import pytest

from tests.integration.engine_stack import EngineStack, free_ports, json_lines, project_containers

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "rotate_stack"


@pytest.fixture
def rotate_stack(tmp_path, compose_project, images, run_launcher) -> EngineStack:
    root = tmp_path / "stack"
    shutil.copytree(FIXTURE, root)
    manifest = root / "stack.toml"
    manifest.write_text(manifest.read_text().replace('name = "rotatestack"', f'name = "{compose_project}"'))
    (port,) = free_ports(1)
    stack = EngineStack(root=root, project=compose_project, ports={"PG_PORT": port}, run=run_launcher,
                        env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    result = stack.launcher("init", "--non-interactive", f"--set=PG_PORT={port}")
    assert result.returncode == 0, result.stderr
    up = stack.launcher("up", "--json", "--pull", "never")
    assert up.returncode == 0, up.stdout + up.stderr
    return stack


def stored_password(stack: EngineStack) -> str:
    for line in (stack.root / ".launcher" / "values.env").read_text().splitlines():
        if line.startswith("PG_PASSWORD="):
            return line.split("=", 1)[1].strip("'\"")
    raise AssertionError("PG_PASSWORD not in the value store")


def logs_in(stack: EngineStack, role: str, password: str) -> bool:
    try:
        with psycopg.connect(host="127.0.0.1", port=stack.ports["PG_PORT"], user=role, password=password,
                             dbname="postgres", connect_timeout=5) as conn:
            return conn.execute("SELECT 1").fetchone() == (1,)
    except psycopg.OperationalError as error:
        assert "password authentication failed" in str(error)
        return False


def health(docker_client, project: str, service: str) -> str:
    container = project_containers(docker_client, project)[service]
    container.reload()
    return container.attrs["State"].get("Health", {}).get("Status", "")


def assert_rotated_and_settled(stack: EngineStack, docker_client, old: str, new: str) -> None:
    assert new != old
    for role in ("postgres", "app-user"):
        assert not logs_in(stack, role, old), f"{role} still accepts the old password"
        assert logs_in(stack, role, new), f"{role} refuses the new password"
    assert f"PG_PASSWORD={new}" in (stack.root / ".env").read_text()
    assert health(docker_client, stack.project, "client") == "healthy"
    assert not list((stack.root / ".launcher").glob("rotation-*"))
    # The next `up` finds everything current: nothing started, nothing recreated.
    again = stack.launcher("up", "--json", "--pull", "never")
    assert again.returncode == 0, again.stderr
    assert json_lines(again.stdout)[-1]["details"]["started"] == []


def test_rotate_apply_changes_the_database_env_files_and_recreates_users(rotate_stack, docker_client):
    stack = rotate_stack
    old = stored_password(stack)
    before = {name: c.id for name, c in project_containers(docker_client, stack.project).items()}
    assert logs_in(stack, "app-user", old)

    result = stack.launcher("secrets", "rotate", "PG_PASSWORD", "--apply", "--yes", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    events = json_lines(result.stdout)
    new = stored_password(stack)
    assert new not in result.stdout + result.stderr and old not in result.stdout + result.stderr
    applied = next(e for e in events if e["event"] == "secret-applied")
    assert applied["roles"] == ["postgres", "app-user"] and not applied["already_current"]
    # Database first, then the files, then the services whose environment changed, in plan order.
    kinds = [e["event"] for e in events]
    assert kinds.index("secret-applied") < kinds.index("env-files-written") < kinds.index("wave-started")
    written = next(e for e in events if e["event"] == "env-files-written")
    assert sorted(written["recreate"]) == ["client", "postgres"]
    waves = [e["groups"] for e in events if e["event"] == "wave-started"]
    assert waves == [["db"], ["client"]]
    assert events[-1]["event"] == "finished" and sorted(events[-1]["details"]["recreated"]) == ["client", "postgres"]
    after = {name: c.id for name, c in project_containers(docker_client, stack.project).items()}
    assert after["client"] != before["client"]

    assert_rotated_and_settled(stack, docker_client, old, new)


def test_failure_between_database_and_env_files_is_finished_by_a_rerun(rotate_stack, docker_client,
                                                                     monkeypatch, capsys):
    from wizard import cli
    from wizard.core.lifecycle import rotation

    stack = rotate_stack
    old = stored_password(stack)
    real_write = rotation.write_outputs

    def disk_full(stack_, values, *, dry_run=False, **options):
        if dry_run:
            return real_write(stack_, values, dry_run=True, **options)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(rotation, "write_outputs", disk_full)
    monkeypatch.setenv("XDG_CACHE_HOME", stack.env["XDG_CACHE_HOME"])
    code = cli.main(["--stack", str(stack.root), "secrets", "rotate", "PG_PASSWORD", "--apply", "--yes"])
    error = capsys.readouterr().err
    assert code == 10, error
    assert "changed inside the database, but the env files could not be written" in error
    assert "rotate PG_PASSWORD --apply" in error
    pending = stack.root / ".launcher" / "rotation-PG_PASSWORD.env"
    assert stat.S_IMODE(os.stat(pending).st_mode) == 0o600
    # The database already has the new value; the env files still hold the old one.
    assert stored_password(stack) == old
    assert not logs_in(stack, "postgres", old)
    monkeypatch.undo()

    rerun = stack.launcher("secrets", "rotate", "PG_PASSWORD", "--apply", "--yes")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "finishing an earlier rotation of PG_PASSWORD" in rerun.stdout
    assert "already had the new password" in rerun.stdout
    assert_rotated_and_settled(stack, docker_client, old, stored_password(stack))


def test_apply_without_a_declared_home_is_refused_before_anything_changes(rotate_stack):
    stack = rotate_stack
    stack.edit("stack.toml", 'apply = "schema"\nroles = ["postgres", "app-user"]\n', "")
    old = stored_password(stack)
    result = stack.launcher("secrets", "rotate", "PG_PASSWORD", "--apply", "--yes")
    assert result.returncode == 3
    assert "does not say where PG_PASSWORD lives" in result.stderr
    assert stored_password(stack) == old and logs_in(stack, "postgres", old)


def test_a_service_that_fails_after_rotation_is_named_with_the_command_to_finish(rotate_stack):
    stack = rotate_stack
    # `app-user` is left out of roles: the client gets the new password, its role keeps the old one.
    stack.edit("stack.toml", 'roles = ["postgres", "app-user"]', 'roles = ["postgres"]')
    old = stored_password(stack)
    result = stack.launcher("secrets", "rotate", "PG_PASSWORD", "--apply", "--yes", "--timeout", "6")
    assert result.returncode == 9, result.stdout + result.stderr
    assert "PG_PASSWORD is changed in the database and the env files, but service client" in result.stderr
    assert "up -d --no-deps client" in result.stderr
    new = stored_password(stack)
    assert new != old and logs_in(stack, "postgres", new) and logs_in(stack, "app-user", old)
    assert not list((stack.root / ".launcher").glob("rotation-*"))  # nothing left to resume
    assert new not in result.stdout + result.stderr
