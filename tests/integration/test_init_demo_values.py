"""A hand-made .env shaped like upstream's .env.example: `init` names its demo secrets,
`init --replace-demo` replaces them (re-signing the JWTs) and keeps every other setting."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jwt
import pytest
from dotenv import dotenv_values

from wizard.core.values.secrets import DEMO_JWT_SECRETS, check_secrets, is_demo
from wizard.core.manifest.stack import load_stack

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
# upstream's published sample values (wizard.core.values.secrets lists them), under its variable names
DEMO_ENV = {
    "POSTGRES_PASSWORD": "your-super-secret-and-long-postgres-password",
    "JWT_SECRET": "your-super-secret-jwt-token-with-at-least-32-characters-long",
    "DASHBOARD_USERNAME": "supabase",
    "DASHBOARD_PASSWORD": "this_password_is_insecure_and_should_be_updated",
    "SECRET_KEY_BASE": "UpNVntn3cDxHJpq99YMc1T1AQgQpc8kfYTuRgBiYa15BLrx8etQoXz3gZv1/u2oq",
    "VAULT_ENC_KEY": "your-encryption-key-32-chars-min",
    "PG_META_CRYPTO_KEY": "your-encryption-key-32-chars-min",
    "POSTGRES_HOST": "db",
    "POSTGRES_DB": "postgres",
    "POOLER_TENANT_ID": "your-tenant-id",
    "ENABLE_PHONE_SIGNUP": "true",
    "SITE_URL": "http://localhost:3000",
    "JWT_EXPIRY": "3600",
    "SMTP_ADMIN_EMAIL": "admin@example.com",
    "SMTP_PASS": "fake_mail_password",
    "PGRST_DB_SCHEMAS": "public,storage,graphql_public",
    "LOGFLARE_PUBLIC_ACCESS_TOKEN": "your-super-secret-and-long-logflare-key-public",
    "LOGFLARE_PRIVATE_ACCESS_TOKEN": "your-super-secret-and-long-logflare-key-private",
}


def demo_anon_and_service_keys() -> dict[str, str]:
    from wizard.core.values.secrets import DEMO_VALUES

    found = {}
    for value in DEMO_VALUES:
        if value.startswith("eyJ"):
            claims = jwt.decode(value, options={"verify_signature": False})
            if claims.get("iat") == 1641769200:  # the docker example's pair
                found["ANON_KEY" if claims["role"] == "anon" else "SERVICE_ROLE_KEY"] = value
    assert set(found) == {"ANON_KEY", "SERVICE_ROLE_KEY"}
    return found


@pytest.fixture
def hand_made(tmp_path) -> Path:
    for part in ("stack.toml", "compose", "envtemplates", "seeds"):
        source = REPO / part
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / part)
    lines = ["############", "# Secrets", "############", ""]
    lines += [f"{key}={value}" for key, value in {**DEMO_ENV, **demo_anon_and_service_keys()}.items()]
    (tmp_path / ".env").write_text("\n".join(lines) + "\n")
    return tmp_path


DEMO_NAMES = {"POSTGRES_PASSWORD", "JWT_SECRET", "ANON_KEY", "SERVICE_ROLE_KEY", "DASHBOARD_PASSWORD",
              "SECRET_KEY_BASE", "PG_META_CRYPTO_KEY", "LOGFLARE_PUBLIC_ACCESS_TOKEN", "LOGFLARE_PRIVATE_ACCESS_TOKEN",
              "VAULT_ENC_KEY"}


def test_init_names_every_adopted_demo_value_one_line_each(hand_made, run_launcher):
    result = run_launcher("init", "--non-interactive", cwd=hand_made)
    assert result.returncode == 0, result.stderr
    named = {line.split(": ", 1)[1].split(" ", 1)[0] for line in result.stdout.splitlines()
             if line.startswith("demo value kept: ")}
    assert named == DEMO_NAMES
    assert "launcher init --replace-demo" in result.stdout
    # No value is printed, demo or not.
    for value in DEMO_ENV.values():
        if len(value) > 12:
            assert value not in result.stdout + result.stderr
    check = run_launcher("secrets", "check", cwd=hand_made)
    assert check.returncode == 6


def test_replace_demo_rotates_them_resigns_the_keys_and_keeps_settings(hand_made, run_launcher):
    result = run_launcher("init", "--non-interactive", "--replace-demo", "--json", cwd=hand_made)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["demo_values"]) == set(report["replaced_demo"]) == DEMO_NAMES
    env = dotenv_values(hand_made / ".env")
    store = dotenv_values(hand_made / ".launcher" / "values.env")
    stack = load_stack(hand_made / "stack.toml")
    assert check_secrets(stack, store) == []
    assert not any(is_demo(env[name]) for name in DEMO_NAMES)
    # The JWTs are signed with the new secret, not with any published one.
    claims = jwt.decode(env["ANON_KEY"], env["JWT_SECRET"], algorithms=["HS256"])
    assert claims["role"] == "anon" and env["JWT_SECRET"] not in DEMO_JWT_SECRETS
    # Non-secret settings from the hand-made file are kept, and so are its extra keys.
    assert env["SITE_URL"] == "http://localhost:3000" and store["SITE_URL"] == "http://localhost:3000"
    assert env["SMTP_ADMIN_EMAIL"] == "admin@example.com"
    assert env["PGRST_DB_SCHEMAS"] == "public,storage,graphql_public"
    assert env["JWT_EXPIRY"] == "3600"
    assert env["POOLER_TENANT_ID"] == "your-tenant-id"  # a setting, not a secret: kept as written
    assert env["ENABLE_PHONE_SIGNUP"] == "true"  # not declared anywhere: a hand-added key survives
    again = run_launcher("secrets", "check", cwd=hand_made)
    assert again.returncode == 0, again.stdout + again.stderr
    # A second run finds nothing left to replace.
    rerun = run_launcher("init", "--non-interactive", cwd=hand_made)
    assert "demo value" not in rerun.stdout
