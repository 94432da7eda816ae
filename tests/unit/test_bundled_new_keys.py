"""The new-API-keys switch of the bundled stack, as the real Compose v2 resolves it.

`SUPABASE_NEW_API_KEYS` (on by default) picks env/supabase-keys-<true|false>.env for realtime,
storage, kong and functions, env/supabase-rest-keys-*.env for rest and
env/supabase-auth-keys-*.env for auth; every file comes from the real `launcher init`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
import shutil
import subprocess

import pytest
from dotenv import dotenv_values

from tests.unit.test_bundled_stack import LAUNCHER, REPO, STACK_PARTS, compose_argv, config  # noqa: F401
from wizard.core.manifest.stack import load_stack

def initialised(tmp_path, *sets: str):
    for part in STACK_PARTS:
        source = REPO / part
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / part)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LAUNCHER_")}
    result = subprocess.run([str(LAUNCHER), "init", "--non-interactive", *(f"--set={s}" for s in sets)],
                            cwd=tmp_path, env=environ, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return dotenv_values(tmp_path / ".launcher" / "values.env")


def supabase(argv, root) -> dict:
    files = list(load_stack(root / "stack.toml").group("supabase").compose_files)
    return config(argv, root, files, profiles=("*",))["services"]


def test_switched_off_keeps_the_legacy_wiring(compose_argv, tmp_path):
    values = initialised(tmp_path, "SUPABASE_NEW_API_KEYS=false")
    services = supabase(compose_argv, tmp_path)
    assert values["SUPABASE_NEW_API_KEYS"] == "false"
    assert "GOTRUE_JWT_KEYS" not in services["auth"]["environment"]
    assert services["rest"]["environment"]["PGRST_JWT_SECRET"] == values["JWT_SECRET"]
    assert "SUPABASE_PUBLISHABLE_KEY" not in services["kong"]["environment"]
    assert "SUPABASE_PUBLISHABLE_KEYS" not in services["functions"]["environment"]
    # The new keys exist all the same, ready for the switch.
    assert values["SUPABASE_PUBLISHABLE_KEY"].startswith("sb_publishable_")


def test_the_default_hands_the_new_keys_to_each_service(compose_argv, tmp_path):
    values = initialised(tmp_path)
    assert values["SUPABASE_NEW_API_KEYS"] == "true"
    services = supabase(compose_argv, tmp_path)
    assert services["auth"]["environment"]["GOTRUE_JWT_KEYS"] == values["JWT_KEYS"]
    assert services["realtime"]["environment"]["API_JWT_JWKS"] == values["JWT_JWKS"]
    assert services["storage"]["environment"]["JWT_JWKS"] == values["JWT_JWKS"]
    assert services["functions"]["environment"]["JWT_JWKS"] == values["JWT_JWKS"]
    assert services["rest"]["environment"]["PGRST_JWT_SECRET"] == values["JWT_JWKS"]
    # Storage keeps verifying legacy tokens with the HS256 secret, under upstream's new name.
    assert services["storage"]["environment"]["AUTH_JWT_SECRET"] == values["JWT_SECRET"]
    assert "PGRST_JWT_SECRET" not in services["storage"]["environment"]
    # Functions: upstream's key maps and JWKS; studio: the opaque keys themselves.
    functions = services["functions"]["environment"]
    assert json.loads(functions["SUPABASE_PUBLISHABLE_KEYS"]) == {"default": values["SUPABASE_PUBLISHABLE_KEY"]}
    assert json.loads(functions["SUPABASE_SECRET_KEYS"]) == {"default": values["SUPABASE_SECRET_KEY"]}
    assert json.loads(functions["SUPABASE_JWKS"]) == json.loads(values["JWT_JWKS"])
    studio = services["studio"]["environment"]
    assert studio["SUPABASE_PUBLISHABLE_KEY"] == values["SUPABASE_PUBLISHABLE_KEY"]
    assert studio["SUPABASE_SECRET_KEY"] == values["SUPABASE_SECRET_KEY"]
    # The legacy HS256 keys keep working: Kong still accepts them, auth and storage still verify them.
    assert services["kong"]["environment"]["SUPABASE_ANON_KEY"] == values["ANON_KEY"]
    assert services["auth"]["environment"]["GOTRUE_JWT_SECRET"] == values["JWT_SECRET"]
    kong = services["kong"]["environment"]
    for name in ("SUPABASE_PUBLISHABLE_KEY", "SUPABASE_SECRET_KEY", "ANON_KEY_ASYMMETRIC",
                 "SERVICE_ROLE_KEY_ASYMMETRIC"):
        assert kong[name] == values[name]
    # Only the verifying half goes to the verifiers: no private key outside auth.
    for name, service in services.items():
        if name == "auth":
            continue
        assert values["JWT_KEYS"] not in (service.get("environment") or {}).values(), name


def test_realtime_health_does_not_use_the_tenants_api(compose_argv, tmp_path):
    initialised(tmp_path)
    realtime = supabase(compose_argv, tmp_path)["realtime"]
    probe = " ".join(realtime["healthcheck"]["test"])
    assert "/healthcheck" in probe and "tenants" not in probe
    assert "ANON_KEY" not in realtime["environment"]


@pytest.mark.parametrize("value", ["yes", "on"])
def test_the_switch_is_a_bool_setting(tmp_path, value):
    values = initialised(tmp_path, f"SUPABASE_NEW_API_KEYS={value}")
    assert values["SUPABASE_NEW_API_KEYS"] == "true"


def test_pooler_profile_runs_supavisor_on_loopback_with_its_tenant(compose_argv, tmp_path):
    values = initialised(tmp_path)
    files = list(load_stack(tmp_path / "stack.toml").group("supabase").compose_files)
    assert "supavisor" not in config(compose_argv, tmp_path, files)["services"]
    services = config(compose_argv, tmp_path, files, profiles=("pooler",))["services"]
    pooler = services["supavisor"]
    assert [(p["host_ip"], p["published"], p["target"]) for p in pooler["ports"]] == [("127.0.0.1", "6543", 6543)]
    environment = pooler["environment"]
    assert environment["POOLER_TENANT_ID"] == "local" and environment["POOLER_POOL_MODE"] == "transaction"
    assert environment["VAULT_ENC_KEY"] == values["VAULT_ENC_KEY"] and len(values["VAULT_ENC_KEY"]) >= 32
    assert environment["DATABASE_URL"].endswith("@db:5432/_supabase")
    assert environment["POSTGRES_PORT"] == "5432"  # the db container's port, not the host's
    assert any(v["target"] == "/etc/pooler/pooler.exs" for v in pooler["volumes"])
    # Its schema is created with the database (init SQL), in the internal _supabase database.
    mounts = {v["target"]: v["source"] for v in services["db"]["volumes"] if v["type"] == "bind"}
    pooler_sql = Path(mounts["/docker-entrypoint-initdb.d/migrations/99-pooler.sql"]).read_text()
    assert "\\connect _supabase" in pooler_sql and "CREATE SCHEMA IF NOT EXISTS _supavisor" in pooler_sql
    # The stack's password reaches the pooler, so `rotate --apply` recreates it as well.
    assert values["POSTGRES_PASSWORD"] in environment["DATABASE_URL"]


def test_pooler_creates_its_tenant_only_when_missing_and_never_deletes_it():
    """pooler.exs (Elixir, run by supavisor at start): no delete-then-create, as upstream."""
    import re

    code = "\n".join(line.split("#", 1)[0] for line in
                     (REPO / "compose" / "volumes" / "pooler" / "pooler.exs").read_text().splitlines())
    assert "delete" not in code
    lookup = code.index("Supavisor.Tenants.get_tenant_by_external_id(")
    # The only create is the `nil ->` branch of that lookup; an existing tenant is updated in place.
    branches = re.findall(r"^\s{2}(nil|existing) ->", code[lookup:], re.MULTILINE)
    assert branches == ["nil", "existing"]
    assert code.count("create_tenant(") == 1
    assert code.index("create_tenant(") < code.index("existing ->") < code.index("update_tenant(")


def test_check_signs_in_with_the_publishable_key_after_a_default_init(tmp_path):
    from wizard.core.lifecycle.smoke import api_keys

    values = initialised(tmp_path)
    assert api_keys(values) == (values["SUPABASE_PUBLISHABLE_KEY"], values["SUPABASE_SECRET_KEY"])
    assert values["SUPABASE_PUBLISHABLE_KEY"].startswith("sb_publishable_")
