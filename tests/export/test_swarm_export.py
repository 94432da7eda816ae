"""`launcher export swarm`: stack files `docker stack deploy` accepts, with what it rejects taken out.

`docker stack config` (Docker CLI 28) checks each file as `docker stack deploy` would
load it, without deploying; no swarm is needed.
"""

from __future__ import annotations

import shutil
import stat
import subprocess
from types import SimpleNamespace

import pytest
import yaml

from tests.conftest import missing_part
from tests.export.exported import BUNDLED_PROFILES, bundled_copy, engine_copy, export, run

DOCKER_CLI = "/usr/local/bin/docker"
# What docker stack deploy rejects (or ignores) in a service, and the top-level keys it rejects.
REJECTED = {"pull_policy", "profiles", "depends_on", "env_file", "build", "restart", "container_name", "expose",
            "privileged", "security_opt"}
REJECTED_TOP = {"name", "include"}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    base = tmp_path_factory.mktemp("swarm")
    return {
        "bundled": export(bundled_copy(base), "swarm", base / "bundled-out", BUNDLED_PROFILES),
        "engine": export(with_hooks(engine_copy(base)), "swarm", base / "engine-out"),
    }


def with_hooks(root):
    """The engine stack with compose lifecycle hooks on its web service, which Swarm has no place for."""
    path = root / "compose" / "app.yml"
    text = path.read_text()
    hooks = ("    post_start:\n      - command: [\"sh\", \"-c\", \"echo started\"]\n"
             "    pre_stop:\n      - command: [\"sh\", \"-c\", \"echo stopping\"]\n")
    assert "\n  web:\n" in text
    path.write_text(text.replace("\n  web:\n", "\n  web:\n" + hooks))
    return root


def stacks(result) -> dict[str, dict]:
    return {path.stem: yaml.safe_load(path.read_text()) for path in sorted(result.folder.glob("*.yml"))}


@pytest.mark.parametrize("name", ["bundled", "engine"])
def test_stack_files_load_as_docker_stack_deploy_loads_them(exported, name):
    cli = DOCKER_CLI if shutil.which(DOCKER_CLI) else None
    if cli is None:
        missing_part("Docker CLI 28 at /usr/local/bin/docker (docker stack config)")
    result = exported[name]
    assert stat.S_IMODE(result.folder.stat().st_mode) == 0o700
    for path in sorted(result.folder.glob("*.yml")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600  # environment values include secrets
        checked = subprocess.run([cli, "stack", "config", "-c", str(path)], capture_output=True, text=True,
                                 timeout=60)
        assert checked.returncode == 0, f"{path.name}: {checked.stderr}"


@pytest.mark.parametrize("name", ["bundled", "engine"])
def test_what_swarm_rejects_is_gone_and_what_this_kernel_needs_is_there(exported, name):
    result = exported[name]
    found = stacks(result)
    assert found
    for group, stack in found.items():
        assert not REJECTED_TOP & set(stack), group
        for service, spec in stack["services"].items():
            assert not REJECTED & set(spec), (group, service, REJECTED & set(spec))
            assert spec["deploy"]["endpoint_mode"] == "dnsrr"
            assert all(port["mode"] == "host" and "host_ip" not in port for port in spec.get("ports", []))
            assert spec["labels"]["launcher.swarm.service"] == service
            assert spec["labels"]["launcher.swarm.group"] == group
        for network in stack["networks"].values():
            assert network["external"] is True


def test_one_shot_jobs_restart_policies_and_groups(exported):
    engine = stacks(exported["engine"])
    assert list(engine) == ["app", "cache", "db"]
    assert engine["app"]["services"]["migrate"]["deploy"]["mode"] == "replicated-job"
    assert "mode" not in engine["app"]["services"]["web"]["deploy"]
    assert engine["db"]["volumes"] == {"pgdata": {}}
    bundled = stacks(exported["bundled"])
    assert bundled["supabase"]["services"]["db"]["deploy"]["restart_policy"] == {"condition": "any"}
    # A service with a healthcheck is updated health-gated and rolled back when its new tasks fail;
    # a job (no healthcheck to gate on) is run again, never rolled back.
    assert engine["db"]["services"]["postgres"]["deploy"]["update_config"] == {"failure_action": "rollback"}
    assert "update_config" not in engine["app"]["services"]["migrate"]["deploy"]


def test_files_become_swarm_secrets_and_configs(exported):
    result = exported["bundled"]
    mongodb = stacks(result)["mongodb"]
    keyfile = mongodb["secrets"]["mongo_keyfile"]
    assert keyfile["external"] is True and keyfile["name"].startswith("ailab_mongo_keyfile_")
    assert mongodb["services"]["mongodb"]["secrets"] == [{"source": "mongo_keyfile",
                                                          "target": "/run/secrets/mongo_keyfile"}]
    kong = stacks(result)["supabase"]["services"]["kong"]
    assert {"source": "f_compose_volumes_kong_yml", "target": "/home/kong/temp.yml", "mode": 0o444} in kong["configs"]
    assert not any(mount.get("target") == "/home/kong/temp.yml" for mount in kong.get("volumes", []))
    manual = {item["what"]: item["why"] for item in result.report["manual"]}
    assert manual[f"secret {keyfile['name']}"] == f"docker secret create {keyfile['name']} secrets/mongo-keyfile"
    keyfile_value = (result.root / "secrets/mongo-keyfile").read_text()
    assert all(keyfile_value.strip() not in path.read_text() for path in result.folder.iterdir())


def test_report_lists_what_swarm_rejects(exported):
    dropped = {(item["where"], item["what"]): item["why"] for item in exported["engine"].report["dropped"]}
    assert ("stack", "name") in dropped
    for service in ("redis", "migrate", "web"):
        assert ("service " + service, "depends_on") in dropped
    assert ("service postgres", "pull_policy") in dropped
    for hook in ("post_start", "pre_stop"):
        assert "Swarm has no lifecycle hooks" in dropped[("service web", hook)]
    assert any(what.startswith("port") and "host_ip" in what for _, what in dropped)
    bundled = {(item["where"], item["what"]) for item in exported["bundled"].report["dropped"]}
    assert ("service stackend", "build") in bundled and ("service vector", "security_opt") in bundled


def test_exported_files_are_named_after_the_stack_in_any_checkout(tmp_path):
    """Files written for deploying by hand elsewhere keep the stack's name, even in a second checkout
    whose instance name differs (`up --target swarm` names what it creates after the instance)."""
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    first = run("init", "--non-interactive", cwd=engine_copy(tmp_path / "first"))
    assert first.returncode == 0, first.stderr
    result = export(engine_copy(tmp_path / "second"), "swarm", tmp_path / "out")
    assert (result.root / ".launcher" / "instance").read_text().strip() == "enginestack-engine"
    for group, stack in stacks(result).items():
        assert {name: spec["labels"]["launcher.swarm.project"] for name, spec in stack["services"].items()} == \
            dict.fromkeys(stack["services"], "enginestack")
        assert [network["name"] for network in stack["networks"].values()] == ["enginestack-default"]
        objects = [item["name"] for kind in ("secrets", "configs") for item in stack.get(kind, {}).values()]
        assert all(name.startswith("enginestack_") for name in objects), objects
    manual = {item["what"]: item["why"] for item in result.report["manual"]}
    assert manual["group db"].startswith("docker stack deploy --resolve-image never -c db.yml enginestack-db ")


def test_a_long_instance_name_keeps_each_file_s_content_in_its_swarm_object_name(tmp_path):
    """Swarm allows 64 characters: cutting a long name must not cut the hash of the content (a changed
    file would keep its old object) nor the instance (two instances would share one)."""
    from wizard.core.export.swarmfile import content_name

    path = tmp_path / "stack.env"
    names = {}
    for project in ("enginestack-a-long-feature-branch-name-one", "enginestack-a-long-feature-branch-name-two"):
        for content in ("A=1\n", "A=2\n"):
            path.write_text(content)
            names[project, content] = content_name(SimpleNamespace(project=project), "f_envtemplates_stack_env", path)
    assert all(len(name) <= 64 and name.startswith("enginestack-a-long-") for name in names.values())
    assert len(set(names.values())) == 4, names
    path.write_text("A=1\n")
    short = content_name(SimpleNamespace(project="enginestack"), "f_envtemplates_stack_env", path)
    assert short.startswith("enginestack_f_envtemplates_stack_env_") and len(short) < 64
