"""The bundled stack end to end: `launcher init`, `up`, `status` on the real engine.

The upstream images cannot be pulled here, so tests/integration/bundled_override.yml
swaps each service's image for a local stand-in (see that file). Everything else is the
bundled stack's own: the plan, the env templates, the published ports, the db init SQL
in compose/volumes/db and the seeds in seeds/postgres, which the launcher applies
through the database port on 127.0.0.1.

Changed in the temp copy, and only there: the project name (unique per test), the
override added to the last group's compose files, every port moved to a free one, and
the two Mongo steps removed: they need a real mongod, which no package here provides
(the Mongo step code is tested against a protocol stand-in in tests/unit).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from dotenv import dotenv_values

from tests.integration.engine_stack import free_ports
from wizard.core.manifest.plan import build_plan
from wizard.core.manifest.stack import load_stack
from wizard.exitcodes import ExitCode

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
LAUNCHER = Path(sys.executable).with_name("launcher")
OVERRIDE = "tests/integration/bundled_override.yml"
MONGO_STEPS = ("mongo-replica-set", "mongo-data")


def drop_table(text: str, header: str) -> str:
    """The manifest text without one [table] and its keys (up to the next header or rule)."""
    pattern = re.compile(rf"^\[{re.escape(header)}\]\n(?:(?!\[|# -).*\n)*", re.MULTILINE)
    assert pattern.search(text), header
    return pattern.sub("", text)


@pytest.fixture
def stack_root(tmp_path, compose_project, images) -> Path:
    """A copy of the bundled stack wired to the stand-ins (see the module docstring)."""
    root = tmp_path / "stack"
    root.mkdir()
    for part in ("stack.toml", "compose", "envtemplates", "seeds", OVERRIDE, "tests/integration/bundled_standin"):
        source, target = REPO / part, root / part
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copy)(source, target)
    (root / "stackend").mkdir()
    (root / "stackweb").mkdir()

    manifest = root / "stack.toml"
    text = manifest.read_text()
    text = text.replace('name = "ailab"', f'name = "{compose_project}"', 1)
    text = text.replace('compose = ["compose/web.yml"]', f'compose = ["compose/web.yml", "{OVERRIDE}"]', 1)
    for step in MONGO_STEPS:
        text = drop_table(text, f"steps.{step}")
    manifest.write_text(text)
    return root


def launcher(root: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LAUNCHER_") and not k.startswith("COMPOSE_")}
    return subprocess.run([str(LAUNCHER), *args], cwd=root, env=environ, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=timeout)


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_bundled_stack_comes_up_seeded_and_healthy(stack_root):
    import psycopg

    bundled, copied = load_stack(REPO / "stack.toml"), load_stack(stack_root / "stack.toml")
    # The bundled groups and order, minus the Mongo steps.
    assert [(g.name, g.after, g.profiles) for g in copied.groups] == \
        [(g.name, g.after, g.profiles) for g in bundled.groups]
    assert [[g.name for g in w.groups] for w in build_plan(copied).waves] == \
        [["supabase", "mongodb", "weaviate", "unstructured"], ["app"], ["web"]]
    assert [s.name for s in copied.steps] == [s.name for s in bundled.steps if s.name not in MONGO_STEPS]

    names = [spec.name for spec in copied.settings if spec.kind == "port" and spec.name != "SMTP_PORT"]
    # Distinct ports: two settings on one port would (rightly) stop the preflight.
    ports = [f"{name}={port}" for name, port in zip(names, free_ports(len(names)))]
    init = launcher(stack_root, "init", "--non-interactive", *[arg for port in ports for arg in ("--set", port)])
    assert init.returncode == ExitCode.OK, init.stderr
    env = dotenv_values(stack_root / ".env")
    backend = dotenv_values(stack_root / "env" / "stackend.env")
    webhook_base = next(s.default for s in copied.settings if s.name == "STACKEND_INTERNAL_URL")
    assert webhook_base == "http://stackend:8000"

    up = launcher(stack_root, "up", "--non-interactive", "--pull", "never", "--json")
    assert up.returncode == ExitCode.OK, up.stdout[-3000:] + up.stderr
    events = json_lines(up.stdout)
    assert events[-1]["event"] == "finished" and events[-1]["ok"] is True
    order = [e["group"] for e in events if e["event"] == "group-ready"]
    assert order.index("supabase") < order.index("app") and order.index("mongodb") < order.index("app")
    progress = [e["message"] for e in events if e["event"] == "step-progress" and e["step"] == "postgres-schema"]
    seeds = sorted(str(p.relative_to(REPO / "seeds" / "postgres")) for p in (REPO / "seeds" / "postgres").glob("*/*.sql"))
    assert len(seeds) == 4 and all(any(seed in m for m in progress) for seed in seeds), progress
    assert not any("already applied" in message for message in progress)

    status = launcher(stack_root, "status", "--json")
    assert status.returncode == ExitCode.OK, status.stderr
    rows = json.loads(status.stdout)["services"]
    expected = {"db", "auth", "rest", "kong", "meta", "storage", "studio", "mongodb", "weaviate", "redis",
                "stackend", "worker", "flower", "stackweb"}
    assert {row["service"] for row in rows} == expected
    assert [(row["service"], row["state"], row["health"]) for row in rows
            if (row["state"], row["health"]) != ("running", "healthy")] == []

    dsn = f"postgresql://postgres:{env['POSTGRES_PASSWORD']}@127.0.0.1:{env['POSTGRES_PORT']}/postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        # The seeds, applied by the launcher as the non-superuser postgres.
        assert conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone() == (False,)
        assert conn.execute("SELECT prosecdef FROM pg_proc WHERE proname = 'handle_new_user'").fetchone() == (True,)
        triggers = dict(conn.execute(
            "SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal").fetchall())
        assert triggers == {"on_auth_user_created": "auth.users", "new_user": "profiles"}
        (arguments,) = conn.execute(
            "SELECT encode(tgargs, 'escape') FROM pg_trigger WHERE tgname = 'new_user'").fetchone()
        url, method, headers = arguments.split("\\000")[:3]
        assert (url, method) == (f"{webhook_base}/webhooks/new_user", "POST")
        assert json.loads(headers)["Authorization"] == f"Bearer {backend['WEBHOOK_SECRET']}"

    # A sign-up as GoTrue makes it: the auth role (password set by roles.sql) inserts the user.
    user_id, email = uuid.uuid4(), f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    auth_dsn = f"postgresql://supabase_auth_admin:{env['POSTGRES_PASSWORD']}@127.0.0.1:{env['POSTGRES_PORT']}/postgres"
    with psycopg.connect(auth_dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO auth.users (id, email, raw_user_meta_data) VALUES (%s, %s, '{}')", (user_id, email))

    with psycopg.connect(dsn) as conn:
        # The SECURITY DEFINER trigger wrote the profile the auth role itself may not touch.
        assert conn.execute("SELECT email FROM public.profiles WHERE id = %s", (user_id,)).fetchone() == (email,)
        # The new_user webhook fired through supabase_functions.http_request (webhooks.sql).
        hook = conn.execute("SELECT hook_name, request_id FROM supabase_functions.hooks").fetchall()
        assert [name for name, _ in hook] == ["new_user"]
        # Row level security: as the signed-in user, exactly their own row is visible.
        conn.execute("SET ROLE authenticated")
        conn.execute("SELECT set_config('request.jwt.claim.sub', %s, true)", (str(user_id),))
        assert conn.execute("SELECT id FROM public.profiles").fetchall() == [(user_id,)]
        conn.execute("SELECT set_config('request.jwt.claim.sub', %s, true)", (str(uuid.uuid4()),))
        assert conn.execute("SELECT count(*) FROM public.profiles").fetchone() == (0,)
        conn.rollback()

    admin_dsn = f"postgresql://supabase_admin:{env['POSTGRES_PASSWORD']}@127.0.0.1:{env['POSTGRES_PORT']}/postgres"
    with psycopg.connect(admin_dsn) as conn:
        request = conn.execute("SELECT method, url, headers, body FROM net.http_request_queue "
                               "WHERE id = %s", (hook[0][1],)).fetchone()
    method, url, headers, body = request
    assert (method, url) == ("POST", f"{webhook_base}/webhooks/new_user")
    assert headers["Authorization"] == f"Bearer {backend['WEBHOOK_SECRET']}"
    assert body["type"] == "INSERT" and body["table"] == "profiles" and body["record"]["id"] == str(user_id)
    assert "encrypted_password" not in json.dumps(body)

    # Every morning: a second `up` starts nothing and applies nothing again.
    again = launcher(stack_root, "up", "--non-interactive", "--pull", "never", "--json")
    assert again.returncode == ExitCode.OK, again.stderr
    events = json_lines(again.stdout)
    assert events[-1]["details"]["started"] == []
    finished = [e["summary"] for e in events if e["event"] == "step-finished" and e["step"] == "postgres-schema"]
    assert finished == [f"nothing to apply: {len(seeds)} file(s) already applied"]
