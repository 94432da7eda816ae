"""The bundled Supabase's security settings, on the real Compose v2 model after a real
`launcher init` (default settings, every profile): what upstream fixed, we keep fixed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.test_bundled_stack import REPO, compose_argv, config, env, root, stack  # noqa: F401


@pytest.fixture(scope="module")
def services(compose_argv, root, stack) -> dict:
    return config(compose_argv, root, list(stack.group("supabase").compose_files), profiles=("*",))["services"]


def test_the_jwt_secret_reaches_neither_the_database_nor_sql(services, env):
    assert "JWT_SECRET" not in services["db"]["environment"]
    rest = services["rest"]["environment"]
    assert not [name for name in rest if name.startswith("PGRST_APP_SETTINGS_") and name != "PGRST_APP_SETTINGS_JWT_EXP"]
    # Not under another name either: no db or app-settings value holds it.
    assert env["JWT_SECRET"] not in services["db"]["environment"].values()
    assert env["JWT_SECRET"] not in [v for k, v in rest.items() if k.startswith("PGRST_APP_SETTINGS_")]
    jwt_sql = (REPO / "compose" / "volumes" / "db" / "jwt.sql").read_text()
    assert "jwt_secret" not in jwt_sql.lower().replace("pgrst_app_settings_jwt_secret", "")


def test_studio_and_meta_connect_as_postgres_not_the_superuser(services):
    assert services["studio"]["environment"]["POSTGRES_USER_READ_WRITE"] == "postgres"
    assert services["meta"]["environment"]["PG_META_DB_USER"] == "postgres"


def test_studio_mounts_the_functions_read_only(services):
    mounts = {m["target"]: m for m in services["studio"]["volumes"]}
    functions = mounts["/app/edge-functions"]
    assert Path(functions["source"]).name == "functions" and functions.get("read_only") is True
    assert services["studio"]["environment"]["EDGE_FUNCTIONS_MANAGEMENT_FOLDER"] == "/app/edge-functions"


def test_postgrest_admin_server_listens_on_loopback_only(services):
    rest = services["rest"]["environment"]
    assert rest["PGRST_ADMIN_SERVER_HOST"] == "localhost"
    assert rest["PGRST_ADMIN_SERVER_PORT"] == "3001"
    assert services["rest"]["healthcheck"]["test"] == ["CMD", "postgrest", "--ready"]


def test_renamed_variables_use_their_new_names(services, env):
    assert services["storage"]["environment"]["AUTH_JWT_SECRET"] == env["JWT_SECRET"]
    auth = services["auth"]["environment"]
    assert env["API_EXTERNAL_URL"].endswith("/auth/v1")
    assert auth["API_EXTERNAL_URL"] == auth["GOTRUE_JWT_ISSUER"] == env["API_EXTERNAL_URL"]
    # Mail links are API_EXTERNAL_URL + path: no second /auth/v1.
    assert auth["GOTRUE_MAILER_URLPATHS_CONFIRMATION"] == "/verify"
    assert services["imgproxy"]["environment"]["IMGPROXY_AUTO_WEBP"] == "true"
    assert "IMGPROXY_ENABLE_WEBP_DETECTION" not in services["imgproxy"]["environment"]
    command = services["functions"]["command"]
    flag = command.index("--user-worker-request-idle-timeout")
    assert int(command[flag + 1]) == 150000
    # Kong waits 10 s longer than the runtime (upstream's 160 s), so the runtime answers first.
    import yaml

    kong = yaml.safe_load((REPO / "compose" / "volumes" / "kong.yml").read_text())
    functions = next(s for s in kong["services"] if s["name"] == "functions-v1")
    assert functions["read_timeout"] == int(command[flag + 1]) + 10000
