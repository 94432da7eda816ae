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
                .replace("$DASHBOARD_USERNAME", "U").replace("$DASHBOARD_PASSWORD", "P")
                .replace("$OAUTH_ISSUER_PATH", ""))  # no JWT_ISSUER: discovery at the root
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
               # At the root too, as upstream routes them.
               "/sso/saml/metadata": "http://auth:9999/sso/saml/metadata",
               "/sso/saml/acs": "http://auth:9999/sso/saml/acs"}
    for path, url in targets.items():
        service = by_path[path]
        assert service["url"] == url, path
        assert [p["name"] for p in service["plugins"]] == ["cors"], path  # no key asked
    # The rest of auth still wants a key.
    assert plugin(by_path["/auth/v1/"], "key-auth") is not None


def test_functions_get_the_key_as_sb_api_key_and_authorization_as_sent(docker_client, images, tmp_path, new_keys):
    functions = routes(rendered(docker_client, images, tmp_path, {**LEGACY, **new_keys}))["/functions/v1/"]
    transformer = plugin(functions, "request-transformer")["config"]
    # Authorization is never touched: a user's session JWT reaches the function as sent.
    assert set(transformer) == {"remove", "add"}
    assert transformer["remove"]["headers"] == ["sb-api-key"]  # a client's own is dropped first
    expression = next(h for h in transformer["add"]["headers"] if h.startswith("sb-api-key:"))
    assert f'"{new_keys["ANON_KEY_ASYMMETRIC"]}"' in expression and "Bearer " + new_keys["ANON_KEY_ASYMMETRIC"] not in expression
    assert plugin(functions, "post-function") is not None  # an empty sb-api-key never reaches the runtime
    assert functions["read_timeout"] == 160000
    # Without the new keys, nothing is translated, and a spoofed sb-api-key is still removed.
    legacy = routes(rendered(docker_client, images, tmp_path, LEGACY))["/functions/v1/"]
    assert plugin(legacy, "request-transformer")["config"] == {"remove": {"headers": ["sb-api-key"]}}


@pytest.mark.parametrize(("issuer", "path"), [
    ("http://localhost:8800/auth/v1", "/.well-known/oauth-authorization-server/auth/v1"),
    ("https://api.example.test/auth/v1/", "/.well-known/oauth-authorization-server/auth/v1"),
    ("http://localhost:8800", "/.well-known/oauth-authorization-server"),
])
def test_oauth_discovery_is_routed_at_the_issuers_rfc8414_path(docker_client, images, tmp_path, issuer, path):
    by_path = routes(rendered(docker_client, images, tmp_path, {**LEGACY, "JWT_ISSUER": issuer}))
    service = by_path[path]
    # strip_path drops the whole route path: auth gets its own discovery document.
    assert service["url"] == "http://auth:9999/.well-known/oauth-authorization-server"
    assert service["routes"][0]["strip_path"] is True
    assert [p["name"] for p in service["plugins"]] == ["cors"]


def test_an_issuer_path_kong_cannot_route_stops_the_gateway(docker_client, images, tmp_path):
    import docker.errors

    with pytest.raises(docker.errors.ContainerError) as caught:
        render(docker_client, images, tmp_path, {**LEGACY, "JWT_ISSUER": "http://h/auth/v1']}, x: ["})
    assert "JWT_ISSUER has a path Kong cannot route" in caught.value.stderr.decode()


def test_storage_adds_and_replaces_authorization_and_drops_an_empty_one(docker_client, images, tmp_path, new_keys):
    storage = routes(rendered(docker_client, images, tmp_path, {**LEGACY, **new_keys}))["/storage/v1/"]
    transformer = plugin(storage, "request-transformer")["config"]
    assert transformer["add"]["headers"] == transformer["replace"]["headers"]
    assert transformer["add"]["headers"][0].startswith("Authorization:")
    assert plugin(storage, "post-function") is not None


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
    for path in ("/auth/v1/", "/rest/v1/", OPENAPI_ROOT, "/graphql/v1", "/realtime/v1/api", "/storage/v1/"):
        headers = plugin(by_path[path], "request-transformer")["config"]["replace"]["headers"]
        expression = next(h for h in headers if h.startswith("Authorization:"))
        assert f'"Bearer {values["ANON_KEY_ASYMMETRIC"]}"' in expression, path
        assert f'"Bearer {values["SERVICE_ROLE_KEY_ASYMMETRIC"]}"' in expression, path
    assert [p["name"] for p in by_path["/auth/v1/.well-known/jwks.json"]["plugins"]] == ["cors"]
    assert plugin(by_path[OPENAPI_ROOT], "acl")["config"]["allow"] == ["admin"]
    functions = plugin(by_path["/functions/v1/"], "request-transformer")["config"]["add"]["headers"][0]
    assert f'"{values["ANON_KEY_ASYMMETRIC"]}"' in functions and f'"{values["SERVICE_ROLE_KEY_ASYMMETRIC"]}"' in functions
    # The compose model hands Kong auth's issuer: discovery sits at its RFC 8414 path.
    assert environment["JWT_ISSUER"].endswith("/auth/v1")
    assert "/.well-known/oauth-authorization-server/auth/v1" in by_path


# --------------------------------------------------------------------------- the Lua Kong runs, run by Lua 5.1
# Kong itself cannot run here, but the expressions request-transformer evaluates and the
# post-function bodies are plain Lua (Kong runs LuaJIT, Lua 5.1 semantics): Debian's lua5.1
# evaluates them against stubbed requests.


def lua(script: str) -> str:
    import shutil
    import subprocess

    if not shutil.which("lua5.1"):
        from tests.conftest import missing_part

        missing_part("lua5.1 not installed")
    return subprocess.run(["lua5.1", "-"], input=script, capture_output=True, text=True, check=True).stdout


def lua_table(values: dict[str, str]) -> str:
    return "{" + ", ".join(f"[{name!r}] = {value!r}" for name, value in values.items()) + "}"


def evaluate(template: str, headers: dict[str, str]) -> str | None:
    """What request-transformer makes of `Name:$(expression)` for a request with these headers."""
    expression = template.split(":", 1)[1]
    assert expression.startswith("$(") and expression.endswith(")")
    out = lua(f"headers = {lua_table(headers)}\nquery_params = {{}}\n"
              f"local value = ({expression[2:-1]})\nio.write(value == nil and '<nil>' or tostring(value))")
    return None if out == "<nil>" else out


def post_function_keeps(body: str, header: str, value: str | None) -> bool:
    """Runs a post-function body with a stubbed kong PDK; True when it leaves the header alone."""
    sent = "nil" if value is None else repr(value)
    out = lua(f"cleared = false\nkong = {{request = {{get_header = function(name) assert(name == {header!r}); "
              f"return {sent} end}}, service = {{request = {{clear_header = function(name) "
              f"assert(name == {header!r}); cleared = true end}}}}}}\n{body}\nio.write(tostring(not cleared))")
    return out == "true"


def test_the_functions_key_expression_and_its_cleanup_in_lua(docker_client, images, tmp_path, new_keys):
    functions = routes(rendered(docker_client, images, tmp_path, {**LEGACY, **new_keys}))["/functions/v1/"]
    template = plugin(functions, "request-transformer")["config"]["add"]["headers"][0]
    anon, service = new_keys["ANON_KEY_ASYMMETRIC"], new_keys["SERVICE_ROLE_KEY_ASYMMETRIC"]
    assert evaluate(template, {"apikey": new_keys["SUPABASE_PUBLISHABLE_KEY"]}) == anon
    assert evaluate(template, {"authorization": "Bearer " + new_keys["SUPABASE_SECRET_KEY"]}) == service
    # A user's session, a legacy key or a made-up opaque key get no sb-api-key at all.
    assert evaluate(template, {"authorization": "Bearer eyJhbGciOi.user.session"}) is None
    assert evaluate(template, {"apikey": "sb_publishable_madeup"}) is None
    assert evaluate(template, {}) is None
    body = plugin(functions, "post-function")["config"]["access"][0]
    assert post_function_keeps(body, "sb-api-key", anon)
    assert not post_function_keeps(body, "sb-api-key", "")
    assert not post_function_keeps(body, "sb-api-key", "  ")
    assert not post_function_keeps(body, "sb-api-key", None)


def test_the_storage_authorization_expression_and_its_cleanup_in_lua(docker_client, images, tmp_path, new_keys):
    storage = routes(rendered(docker_client, images, tmp_path, {**LEGACY, **new_keys}))["/storage/v1/"]
    template = plugin(storage, "request-transformer")["config"]["add"]["headers"][0]
    anon = new_keys["ANON_KEY_ASYMMETRIC"]
    # Only `apikey`: storage gets the key's JWT as a bearer token.
    assert evaluate(template, {"apikey": new_keys["SUPABASE_PUBLISHABLE_KEY"]}) == "Bearer " + anon
    # A user's JWT and an S3 signature pass as sent; an opaque key in Authorization is translated.
    assert evaluate(template, {"authorization": "Bearer user.jwt", "apikey": "x"}) == "Bearer user.jwt"
    signature = "AWS4-HMAC-SHA256 Credential=k/20261207/local/s3/aws4_request, Signature=abc"
    assert evaluate(template, {"authorization": signature}) == signature
    assert evaluate(template, {"authorization": "Bearer " + new_keys["SUPABASE_PUBLISHABLE_KEY"],
                               "apikey": new_keys["SUPABASE_PUBLISHABLE_KEY"]}) == "Bearer " + anon
    assert evaluate(template, {}) is None  # a presigned URL: nothing
    body = plugin(storage, "post-function")["config"]["access"][0]
    assert post_function_keeps(body, "authorization", signature)
    assert not post_function_keeps(body, "authorization", "")
