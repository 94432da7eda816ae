"""The bundled stack's other components against their records, compose/upstream/<component>.toml.

Each record names the upstream release, its date and where it was read, each image pin, and the
environment names its service passes; the compose model (the real Compose v2 after a real
`launcher init`, every profile on) must match them exactly. Advisories name the pins they affect
and the version that fixes them; `launcher doctor` reads them (wizard.core.lifecycle.advisories).
Supabase has its own, richer record and test (test_upstream_record.py).
"""

from __future__ import annotations

import tomllib

import pytest

from tests.unit.test_bundled_stack import REPO, compose_argv, config, root, stack  # noqa: F401

RECORDS = REPO / "compose" / "upstream"
# Each record and the stack group whose compose files run its services.
COMPONENTS = {"mongodb": "mongodb", "mongo-express": "mongodb", "weaviate": "weaviate", "redis": "app",
              "flower": "app", "unstructured": "unstructured"}


def read(component: str) -> dict:
    return tomllib.loads((RECORDS / f"{component}.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose_argv, root, stack) -> dict:
    """Every service of the groups above, every profile on."""
    found = {}
    for group in set(COMPONENTS.values()):
        files = list(stack.group(group).compose_files)
        found.update(config(compose_argv, root, files, profiles=("*",))["services"])
    return found


def test_every_component_has_a_record():
    assert {path.stem for path in RECORDS.glob("*.toml")} == set(COMPONENTS) | {"supabase"}


@pytest.mark.parametrize("component", sorted(COMPONENTS))
def test_the_record_names_its_release_and_where_it_was_read(component):
    upstream = read(component)["upstream"]
    for key in ("repository", "release", "date", "why"):
        assert isinstance(upstream.get(key), str) and upstream[key], f"{component}: upstream.{key}"
    assert upstream["sources"] and all(isinstance(source, str) and len(source) > 20 for source in upstream["sources"])


@pytest.mark.parametrize("component", sorted(COMPONENTS))
def test_every_pin_is_the_recorded_one(component, services):
    record = read(component)
    drift = {name: (services[name]["image"], pin) for name, pin in record["images"].items()
             if services[name]["image"] != pin}
    assert drift == {}, f"{component}: image (compose, record): {drift!r}"


@pytest.mark.parametrize("component", sorted(COMPONENTS))
def test_environment_names_follow_the_record(component, services):
    record = read(component)
    assert set(record["environment"]) == set(record["images"])
    for name, names in record["environment"].items():
        actual = set(services[name].get("environment") or {})
        assert actual == set(names["names"]), (
            f"{component}/{name}: missing {sorted(set(names['names']) - actual)}, "
            f"unrecorded {sorted(actual - set(names['names']))}")


def test_every_service_of_these_groups_is_in_a_record(services):
    recorded = {name for component in COMPONENTS for name in read(component)["images"]}
    built = {"stackend", "worker"}  # the team's own image, not an upstream pin
    assert set(services) - built == recorded


@pytest.mark.parametrize("component", sorted(COMPONENTS))
def test_what_a_major_move_needs_is_recorded(component):
    major = read(component)["major"]
    assert len(major["needs"]) > 10 and len(major["refusal"]) > 10


@pytest.mark.parametrize("component", sorted([*COMPONENTS, "supabase"]))
def test_advisories_name_affected_pins_that_are_not_the_current_ones(component):
    record = read(component)
    for advisory in record.get("advisories", []):
        assert advisory["id"] and advisory["fixed"] and len(advisory["source"]) > 10
        assert advisory["pins"] and all(":" in pin for pin in advisory["pins"])
    # A record that pins what its own advisory names says so on purpose (Supabase's Postgres image).
    if component != "supabase":
        affected = {pin for advisory in record.get("advisories", []) for pin in advisory["pins"]}
        assert not affected & set(record["images"].values()), f"{component} pins an image it marks affected"


def test_a_drifted_pin_is_caught(services):
    """The comparison itself can fail: the old Redis pin is not the compose file's."""
    assert services["redis"]["image"] != "redis:7.4.2-alpine"
    assert read("redis")["advisories"][0]["pins"] == ["redis:7.4.2-alpine"]


def test_redis_runs_through_the_images_entrypoint(services):
    """The 8 image drops to its redis user only when its entrypoint starts redis-server itself."""
    command = services["redis"]["command"]
    assert command[:2] == ["sh", "-c"] and command[2].startswith("exec docker-entrypoint.sh redis-server ")
    assert '--requirepass "$$REDISCLI_AUTH"' in command[2] and "--appendonly yes" in command[2]
