"""compose/volumes/kong-entrypoint.sh writes Kong's declarative config from kong.yml.

Run in the local busybox image: its sh and awk are POSIX ones, as the kong/kong:3.9 image's
dash and mawk are. Kong itself is replaced by a script at the image's /entrypoint.sh that
prints the written config, since the Kong image cannot be pulled here: the rendered file is
parsed as YAML and its routes and plugins checked, but Kong never loads it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

VOLUMES = Path(__file__).resolve().parents[2] / "compose" / "volumes"

# Characters that broke upstream's former `eval echo` rendering or would be special to
# sed or awk replacements: none of them may change or run anything.
TRICKY = "a&b\\c$(echo INJECTED)`echo TICK`%s/x\"q"


def render(docker_client, images, tmp_path: Path, environment: dict[str, str]) -> str:
    fake_kong = tmp_path / "docker-entrypoint.sh"
    fake_kong.write_text('#!/bin/sh\necho "args: $*"\ncat "$KONG_DECLARATIVE_CONFIG"\n')
    fake_kong.chmod(0o755)
    output = docker_client.containers.run(
        images["busybox"],
        ["sh", "/home/kong/kong-entrypoint.sh"],
        environment={"KONG_DECLARATIVE_CONFIG": "/tmp/kong.yml", **environment},
        volumes={
            str(VOLUMES / "kong.yml"): {"bind": "/home/kong/temp.yml", "mode": "ro"},
            str(VOLUMES / "kong-entrypoint.sh"): {"bind": "/home/kong/kong-entrypoint.sh", "mode": "ro"},
            str(fake_kong): {"bind": "/entrypoint.sh", "mode": "ro"},
        },
        network_mode="none",
        remove=True,
    )
    return output.decode()


def test_entrypoint_fills_in_keys_and_login_verbatim(docker_client, images, tmp_path):
    values = {
        "SUPABASE_ANON_KEY": "anon." + TRICKY,
        "SUPABASE_SERVICE_KEY": "service." + TRICKY,
        "DASHBOARD_USERNAME": "supabase",
        "DASHBOARD_PASSWORD": "pw." + TRICKY,
    }
    config = render(docker_client, images, tmp_path, values)
    lines = config.splitlines()
    assert lines[0] == "args: kong docker-start"  # then hands over to Kong's own entrypoint
    assert f"      - key: '{values['SUPABASE_ANON_KEY']}'" in lines
    assert f"      - key: '{values['SUPABASE_SERVICE_KEY']}'" in lines
    assert "    username: 'supabase'" in lines
    assert f"    password: '{values['DASHBOARD_PASSWORD']}'" in lines
    assert "$SUPABASE" not in config and "$DASHBOARD" not in config
    # Nothing in a value was run: the command substitutions are still literal text.
    assert "INJECTED" not in config.replace("$(echo INJECTED)", "")
    assert "TICK" not in config.replace("`echo TICK`", "")


def test_entrypoint_leaves_the_rest_of_the_file_alone(docker_client, images, tmp_path):
    values = {"SUPABASE_ANON_KEY": "A", "SUPABASE_SERVICE_KEY": "S", "DASHBOARD_USERNAME": "U",
              "DASHBOARD_PASSWORD": "P"}
    config = render(docker_client, images, tmp_path, values)
    # Legacy keys (the default): #new-keys lines go, #legacy-keys lines stay without their tag.
    template = "".join(line.replace("  #legacy-keys", "") + "\n"
                       for line in (VOLUMES / "kong.yml").read_text().splitlines() if not line.endswith("#new-keys"))
    expected = (template.replace("$SUPABASE_ANON_KEY", "A").replace("$SUPABASE_SERVICE_KEY", "S")
                .replace("$DASHBOARD_USERNAME", "U").replace("$DASHBOARD_PASSWORD", "P"))
    assert config.split("\n", 1)[1] == expected


# --------------------------------------------------------------------------- security blocks and the new keys


def routes(config: dict) -> dict[str, dict]:
    """Route path (or expression) -> its service, from a parsed declarative config."""
    return {path: service for service in config["services"] for route in service["routes"]
            for path in route.get("paths") or [route["expression"]]}


def plugin(service: dict, name: str) -> dict | None:
    return next((p for p in service.get("plugins", []) if p["name"] == name), None)


LEGACY = {"SUPABASE_ANON_KEY": "A", "SUPABASE_SERVICE_KEY": "S", "DASHBOARD_USERNAME": "U", "DASHBOARD_PASSWORD": "P"}


@pytest.fixture(scope="module")
def new_keys() -> dict[str, str]:
    from wizard.core.manifest.kinds.asymmetric_keys import generate_api_key, generate_jwks, sign_es256

    pair = generate_jwks("x" * 40)
    return {"SUPABASE_PUBLISHABLE_KEY": generate_api_key("sb_publishable_"),
            "SUPABASE_SECRET_KEY": generate_api_key("sb_secret_"),
            "ANON_KEY_ASYMMETRIC": sign_es256(pair, "anon", "supabase", 30),
            "SERVICE_ROLE_KEY_ASYMMETRIC": sign_es256(pair, "service_role", "supabase", 30)}


@pytest.mark.parametrize("mode", ["legacy", "new"])
def test_realtime_admin_api_and_mcp_answer_403_before_anything_else(docker_client, images, tmp_path, new_keys, mode):
    import yaml

    environment = {**LEGACY, **(new_keys if mode == "new" else {})}
    config = yaml.safe_load(render(docker_client, images, tmp_path, environment).split("\n", 1)[1])
    by_path = routes(config)
    for path in ("/realtime/v1/api/tenants", "/realtime/v1/api/openapi", "/api/mcp", "/mcp"):
        service = by_path[path]
        termination = plugin(service, "request-termination")
        assert termination and termination["config"]["status_code"] == 403, path
        # Nothing else on that route: no key lets a request through.
        assert [p["name"] for p in service["plugins"]] == ["request-termination"], path
    # Kong picks the longest matching prefix, so these beat /realtime/v1/api and Studio's /.
    assert "/realtime/v1/api" in by_path and "/" in by_path


def test_new_keys_add_opaque_credentials_and_translate_them(docker_client, images, tmp_path, new_keys):
    import yaml

    text = render(docker_client, images, tmp_path, {**LEGACY, **new_keys}).split("\n", 1)[1]
    kept = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in kept if line.endswith(("#new-keys", "#legacy-keys"))]
    config = yaml.safe_load(text)
    consumers = {c["username"]: [k["key"] for k in c.get("keyauth_credentials", [])] for c in config["consumers"]}
    assert consumers["anon"] == ["A", new_keys["SUPABASE_PUBLISHABLE_KEY"]]
    assert consumers["service_role"] == ["S", new_keys["SUPABASE_SECRET_KEY"]]
    by_path = routes(config)
    for path in ("/auth/v1/", "/rest/v1/", "/graphql/v1", "/realtime/v1/api", "/storage/v1/"):
        transformer = plugin(by_path[path], "request-transformer")
        headers = transformer["config"]["replace"]["headers"]
        expression = next(h for h in headers if h.startswith("Authorization:"))
        # Each opaque key maps to the ES256 JWT of its role, and nothing else maps to them.
        assert (f'headers.apikey == "{new_keys["SUPABASE_SECRET_KEY"]}" and '
                f'"Bearer {new_keys["SERVICE_ROLE_KEY_ASYMMETRIC"]}"') in expression, path
        assert (f'headers.apikey == "{new_keys["SUPABASE_PUBLISHABLE_KEY"]}" and '
                f'"Bearer {new_keys["ANON_KEY_ASYMMETRIC"]}"') in expression, path
    # key-auth must leave the apikey header in place for the translation to read it.
    assert plugin(by_path["/rest/v1/"], "key-auth")["config"]["hide_credentials"] is False
    ws = plugin(by_path["/realtime/v1/"], "request-transformer")["config"]
    assert new_keys["ANON_KEY_ASYMMETRIC"] in ws["replace"]["querystring"][0]


def test_legacy_mode_has_no_translation_and_hides_credentials(docker_client, images, tmp_path):
    import yaml

    config = yaml.safe_load(render(docker_client, images, tmp_path, LEGACY).split("\n", 1)[1])
    by_path = routes(config)
    assert plugin(by_path["/rest/v1/"], "request-transformer") is None
    assert plugin(by_path["/rest/v1/"], "key-auth")["config"]["hide_credentials"] is True
    assert plugin(by_path["/graphql/v1"], "request-transformer")["config"] == {
        "add": {"headers": ["Content-Profile: graphql_public"]}}
    assert [c.get("keyauth_credentials") for c in config["consumers"] if c["username"] == "anon"] == [[{"key": "A"}]]


def test_a_malformed_new_key_stops_kong_before_it_reaches_lua(docker_client, images, tmp_path, new_keys):
    import docker.errors

    broken = {**LEGACY, **new_keys, "SUPABASE_SECRET_KEY": 'sb_secret_x") or ("'}
    with pytest.raises(docker.errors.ContainerError) as caught:
        render(docker_client, images, tmp_path, broken)
    assert "a key is missing or malformed" in caught.value.stderr.decode()


# --------------------------------------------------------------------------- Kong 3.9, issue 25


def rendered(docker_client, images, tmp_path, environment) -> dict:
    import yaml

    return yaml.safe_load(render(docker_client, images, tmp_path, environment).split("\n", 1)[1])


OPENAPI_ROOT = 'http.path == "/rest/v1/"'


@pytest.mark.parametrize("mode", ["legacy", "new"])
def test_the_openapi_root_needs_the_service_key(docker_client, images, tmp_path, new_keys, mode):
    config = rendered(docker_client, images, tmp_path, {**LEGACY, **(new_keys if mode == "new" else {})})
    assert config["_format_version"] == "3.0"
    root = routes(config)[OPENAPI_ROOT]
    assert root["url"] == "http://rest:3000/" and root["routes"][0]["strip_path"] is True
    assert plugin(root, "key-auth") is not None
    assert plugin(root, "acl")["config"]["allow"] == ["admin"]  # service_role only, never anon
    # Everything below the root stays open to the anon key.
    assert set(plugin(routes(config)["/rest/v1/"], "acl")["config"]["allow"]) == {"admin", "anon"}
    if mode == "new":
        headers = plugin(root, "request-transformer")["config"]["replace"]["headers"]
        assert any(new_keys["SERVICE_ROLE_KEY_ASYMMETRIC"] in h for h in headers)


def test_the_compose_model_selects_the_expressions_router():
    import yaml

    kong = yaml.safe_load((VOLUMES.parent / "supabase.yml").read_text())["services"]["kong"]
    assert kong["image"].startswith("kong/kong:3.9.")
    assert kong["environment"]["KONG_ROUTER_FLAVOR"] == "expressions"
    assert kong["environment"]["KONG_DECLARATIVE_CONFIG"] == "/usr/local/kong/kong.yml"


@pytest.mark.parametrize("mode", ["legacy", "new"])
def test_jwks_and_sso_discovery_are_open(docker_client, images, tmp_path, new_keys, mode):
    by_path = routes(rendered(docker_client, images, tmp_path, {**LEGACY, **(new_keys if mode == "new" else {})}))
    targets = {"/auth/v1/.well-known/jwks.json": "http://auth:9999/.well-known/jwks.json",
               "/auth/v1/.well-known/openid-configuration": "http://auth:9999/.well-known/openid-configuration",
               "/auth/v1/sso/saml/metadata": "http://auth:9999/sso/saml/metadata",
               "/auth/v1/sso/saml/acs": "http://auth:9999/sso/saml/acs",
               # At the root too, as upstream's Envoy routes them.
               "/.well-known/oauth-authorization-server": "http://auth:9999/.well-known/oauth-authorization-server",
               "/sso/saml/metadata": "http://auth:9999/sso/saml/metadata",
               "/sso/saml/acs": "http://auth:9999/sso/saml/acs"}
    for path, url in targets.items():
        service = by_path[path]
        assert service["url"] == url, path
        assert [p["name"] for p in service["plugins"]] == ["cors"], path  # no key asked
    # The rest of auth still wants a key.
    assert plugin(by_path["/auth/v1/"], "key-auth") is not None


def test_functions_translate_opaque_keys_with_the_new_keys(docker_client, images, tmp_path, new_keys):
    functions = routes(rendered(docker_client, images, tmp_path, {**LEGACY, **new_keys}))["/functions/v1/"]
    transformer = plugin(functions, "request-transformer")["config"]
    # Replace only: a request without Authorization reaches the function unchanged.
    assert "add" not in transformer
    expression = next(h for h in transformer["replace"]["headers"] if h.startswith("Authorization:"))
    assert (f'headers.apikey == "{new_keys["SUPABASE_PUBLISHABLE_KEY"]}" and '
            f'"Bearer {new_keys["ANON_KEY_ASYMMETRIC"]}"') in expression
    assert functions["read_timeout"] == 150000
    # Without the new keys, functions get the request as sent.
    legacy = routes(rendered(docker_client, images, tmp_path, LEGACY))["/functions/v1/"]
    assert [p["name"] for p in legacy["plugins"]] == ["cors"]


def test_every_key_route_translates_with_the_new_keys(docker_client, images, tmp_path, new_keys):
    """Each route that takes an API key hands the services an ES256 JWT for an opaque key."""
    config = rendered(docker_client, images, tmp_path, {**LEGACY, **new_keys})
    for service in config["services"]:
        if plugin(service, "key-auth") is None or service["name"] == "meta":
            continue
        transformer = plugin(service, "request-transformer")
        assert transformer is not None, service["name"]
        text = repr(transformer["config"])
        assert new_keys["ANON_KEY_ASYMMETRIC"] in text, service["name"]


def test_after_a_default_init_kong_gets_and_uses_the_new_keys(docker_client, images, tmp_path):
    """The real `launcher init` (default settings) and the real Compose model give Kong its
    environment; rendered with it, every key route and /functions/v1 translate the opaque keys."""
    from tests.unit.test_bundled_new_keys import initialised, supabase
    from tests.unit.test_bundled_stack import real_compose_binary

    stack = tmp_path / "stack"
    stack.mkdir()
    values = initialised(stack)
    assert values["SUPABASE_NEW_API_KEYS"] == "true"
    services = supabase([str(real_compose_binary())], stack)
    environment = {k: v for k, v in services["kong"]["environment"].items() if not k.startswith("KONG_")}
    out = tmp_path / "out"
    out.mkdir()
    config = rendered(docker_client, images, out, environment)
    by_path = routes(config)
    consumers = {c["username"]: [k["key"] for k in c.get("keyauth_credentials", [])] for c in config["consumers"]}
    # Legacy keys keep working beside the opaque ones.
    assert consumers["anon"] == [values["ANON_KEY"], values["SUPABASE_PUBLISHABLE_KEY"]]
    assert consumers["service_role"] == [values["SERVICE_ROLE_KEY"], values["SUPABASE_SECRET_KEY"]]
    for path in ("/auth/v1/", "/rest/v1/", OPENAPI_ROOT, "/graphql/v1", "/realtime/v1/api", "/storage/v1/",
                 "/functions/v1/"):
        headers = plugin(by_path[path], "request-transformer")["config"]["replace"]["headers"]
        expression = next(h for h in headers if h.startswith("Authorization:"))
        assert f'"Bearer {values["ANON_KEY_ASYMMETRIC"]}"' in expression, path
        assert f'"Bearer {values["SERVICE_ROLE_KEY_ASYMMETRIC"]}"' in expression, path
    assert [p["name"] for p in by_path["/auth/v1/.well-known/jwks.json"]["plugins"]] == ["cors"]
    assert plugin(by_path[OPENAPI_ROOT], "acl")["config"]["allow"] == ["admin"]
