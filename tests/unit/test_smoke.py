"""wizard/core/lifecycle/smoke.py and `launcher check`, with the real supabase client library.

The Supabase images cannot be pulled here, so a small HTTP server on 127.0.0.1 stands
in for Kong: it answers the three requests the check makes the way GoTrue and
PostgREST do, and records each request so the tests can see which key it carried.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
import pytest

from wizard.core.lifecycle.smoke import run_check
from wizard.exitcodes import ExitCode

REPO = Path(__file__).resolve().parents[2]
LAUNCHER = Path(sys.executable).with_name("launcher")
SIGNING_KEY = "stand-in-signing-key-" + uuid.uuid4().hex


def api_key(role: str) -> str:
    claims = {"role": role, "iss": "supabase", "exp": int(time.time()) + 3600, "jti": uuid.uuid4().hex}
    return jwt.encode(claims, SIGNING_KEY, algorithm="HS256")


class StandInKong:
    """GoTrue sign-up and admin delete plus one PostgREST table, behind one port."""

    def __init__(self, anon: str, service: str, *, autoconfirm: bool = True, rows: bool = True):
        self.anon, self.service = anon, service
        self.autoconfirm, self.rows = autoconfirm, rows
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.users: dict[str, str] = {}  # id -> access token
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def reply(self, status: int, body) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def record(self) -> dict[str, str]:
                headers = {key.lower(): value for key, value in self.headers.items()}
                stand_in.requests.append((self.command, self.path, headers))
                return headers

            def do_POST(self):
                headers = self.record()
                body = json.loads(self.rfile.read(int(headers.get("content-length", 0))) or b"{}")
                if self.path.startswith("/auth/v1/signup") and headers.get("apikey") == stand_in.anon:
                    self.reply(200, stand_in.sign_up(body["email"]))
                else:
                    self.reply(401, {"message": "Invalid authentication credentials"})

            def do_GET(self):
                headers = self.record()
                token = headers.get("authorization", "").removeprefix("Bearer ")
                if self.path.startswith("/rest/v1/profiles") and headers.get("apikey") == stand_in.anon:
                    owner = next((uid for uid, t in stand_in.users.items() if t == token), None)
                    self.reply(200, [{"id": owner}] if owner and stand_in.rows else [])
                else:
                    self.reply(401, {"message": "Invalid authentication credentials"})

            def do_DELETE(self):
                headers = self.record()
                user_id = self.path.rsplit("/", 1)[-1]
                if headers.get("authorization") == f"Bearer {stand_in.service}" and user_id in stand_in.users:
                    del stand_in.users[user_id]
                    self.reply(200, {})
                else:
                    self.reply(403, {"code": 403, "msg": "User not allowed"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def sign_up(self, email: str) -> dict:
        user_id = str(uuid.uuid4())
        user = {"id": user_id, "aud": "authenticated", "role": "authenticated", "email": email,
                "app_metadata": {"provider": "email"}, "user_metadata": {},
                "created_at": "2024-01-01T00:00:00Z"}
        token = jwt.encode({"sub": user_id, "role": "authenticated", "exp": int(time.time()) + 3600},
                           SIGNING_KEY, algorithm="HS256")
        self.users[user_id] = token
        if not self.autoconfirm:
            return user
        return {"access_token": token, "token_type": "bearer", "expires_in": 3600,
                "expires_at": int(time.time()) + 3600, "refresh_token": "r-" + user_id, "user": user}

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def keys():
    return api_key("anon"), api_key("service_role")


def test_check_signs_up_reads_as_the_user_and_deletes_with_the_service_key(keys):
    anon, service = keys
    with StandInKong(anon, service) as kong:
        steps = list(run_check(kong.url, anon, service))
    assert [(s.name, s.ok) for s in steps] == [("sign-up", True), ("read", True), ("cleanup", True)]
    assert kong.users == {}  # the throwaway user is gone
    (_, _, signup), (_, read_path, read), (_, delete_path, delete) = kong.requests
    assert signup["apikey"] == anon
    # The read carried the new user's token, not the anon key: row level security applies.
    assert read["authorization"].startswith("Bearer ") and read["authorization"] != f"Bearer {anon}"
    assert jwt.decode(read["authorization"][7:], SIGNING_KEY, algorithms=["HS256"])["role"] == "authenticated"
    assert read_path.startswith("/rest/v1/profiles?") and "limit=1" in read_path
    assert delete["authorization"] == f"Bearer {service}" and delete_path.startswith("/auth/v1/admin/users/")


def test_check_still_deletes_the_user_when_no_row_is_visible(keys):
    anon, service = keys
    with StandInKong(anon, service, rows=False) as kong:
        steps = list(run_check(kong.url, anon, service))
    assert [(s.name, s.ok) for s in steps] == [("sign-up", True), ("read", False), ("cleanup", True)]
    assert "no row of public.profiles" in steps[1].detail
    assert kong.users == {}


def test_check_names_autoconfirm_when_sign_up_gives_no_session(keys):
    anon, service = keys
    with StandInKong(anon, service, autoconfirm=False) as kong:
        steps = list(run_check(kong.url, anon, service))
    assert [(s.name, s.ok) for s in steps] == [("sign-up", False), ("cleanup", True)]
    assert "ENABLE_EMAIL_AUTOCONFIRM" in steps[0].detail
    assert kong.users == {}


def test_check_reports_a_wrong_anon_key_without_printing_it(keys):
    anon, service = keys
    wrong = api_key("anon")
    with StandInKong(anon, service) as kong:
        steps = list(run_check(kong.url, wrong, service))
    assert [(s.name, s.ok) for s in steps] == [("sign-up", False)]
    assert "Invalid authentication credentials" in steps[0].detail and wrong not in steps[0].detail


def test_check_says_when_kong_does_not_answer(keys):
    anon, service = keys
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    steps = list(run_check(url, anon, service))
    assert [(s.name, s.ok) for s in steps] == [("sign-up", False)]
    assert f"cannot reach Kong at {url}" in steps[0].detail


# --------------------------------------------------------------------------- the command


@pytest.fixture
def initialized_stack(tmp_path):
    """The bundled stack, copied and initialised; returns (root, run) with run(kong_port, *args)."""
    root = tmp_path / "stack"
    root.mkdir()
    for part in ("stack.toml", "compose", "envtemplates", "seeds"):
        source = REPO / part
        (shutil.copytree if source.is_dir() else shutil.copy)(source, root / part)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LAUNCHER_")}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(LAUNCHER), *args], cwd=root, env=environ, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=120)

    return root, run


def test_launcher_check_uses_the_stored_keys_and_reports_each_step(initialized_stack):
    root, run = initialized_stack
    # Generate the real keys first, then point Kong's port at the stand-in.
    assert run("init", "--non-interactive").returncode == 0
    from dotenv import dotenv_values

    env = dotenv_values(root / ".env")
    # The new API keys are on by default: check signs in with the publishable key and cleans
    # up with the secret one, as a client of the stack would.
    assert env["SUPABASE_NEW_API_KEYS"] == "true"
    with StandInKong(env["SUPABASE_PUBLISHABLE_KEY"], env["SUPABASE_SECRET_KEY"]) as kong:
        port = kong.url.rsplit(":", 1)[1]
        assert run("init", "--non-interactive", "--set", f"KONG_HTTP_PORT={port}").returncode == 0
        result = run("check", "--json")
        assert result.returncode == ExitCode.OK, result.stderr
        steps = [json.loads(line) for line in result.stdout.splitlines()]
        assert [(s["name"], s["ok"]) for s in steps] == [("sign-up", True), ("read", True), ("cleanup", True)]
        assert env["SUPABASE_PUBLISHABLE_KEY"] not in result.stdout + result.stderr
        assert env["SUPABASE_SECRET_KEY"] not in result.stdout + result.stderr

        kong.rows = False
        failed = run("check")
        assert failed.returncode == ExitCode.UNHEALTHY
        assert failed.stdout.splitlines()[1].startswith("FAIL  read")
        assert failed.stderr.startswith("launcher: check failed at read:")
        assert kong.users == {}
