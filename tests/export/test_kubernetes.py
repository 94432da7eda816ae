"""`launcher export kubernetes`: strictly valid manifests, secrets only in Secrets, probes, Jobs, report.

Validated offline with kubernetes-validate's bundled schemas at a pinned version;
no manifest here was applied to a live cluster (none can run on these machines).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.export.exported import BUNDLED_PROFILES, Exported, bundled_copy, engine_copy, export, run
from wizard.core.export.kubefiles import k8s_name

KUBERNETES_VERSION = "1.31"  # bundled by kubernetes-validate >= 1.31; the oldest minor still supported upstream
STACKS = ("bundled", "engine", "commands")


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, Exported]:
    base = tmp_path_factory.mktemp("k8s")
    return {
        "bundled": export(bundled_copy(base), "kubernetes", base / "bundled-out", BUNDLED_PROFILES),
        "engine": export(engine_copy(base), "kubernetes", base / "engine-out"),
        "commands": export(secrets_in_commands(base), "kubernetes", base / "commands-out"),
    }


def secrets_in_commands(base: Path) -> Path:
    """The engine stack with its password in a command, an entrypoint and a URL, as compose files often have it."""
    root = engine_copy(base / "commands")
    cache = root / "compose" / "cache.yml"
    cache.write_text(cache.read_text().replace(
        '"--appendonly", "yes", "--appendfsync", "always"]',
        '"--appendonly", "yes", "--appendfsync", "always", "--requirepass", "${PG_PASSWORD}",'
        ' "--masterauth=${PG_PASSWORD}", "--note", "postgresql://postgres:${PG_PASSWORD}@postgres/db", "$$(keep)"]'
        '\n    entrypoint: ["docker-entrypoint.sh", "--pass=${PG_PASSWORD}"]').replace(
        'test: ["CMD", "redis-cli", "ping"]', 'test: ["CMD", "redis-cli", "-a", "${PG_PASSWORD}", "ping"]'))
    db = root / "compose" / "db.yml"
    db.write_text(db.read_text().replace(
        'test: ["CMD", "pg_isready", "-U", "postgres", "-h", "127.0.0.1"]',
        """test: ["CMD-SHELL", "PGPASSWORD='${PG_PASSWORD}' pg_isready -U postgres -h 127.0.0.1"]"""))
    return root


def workloads(result: Exported) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for _, doc in result.docs()
            if doc["kind"] in ("Deployment", "StatefulSet", "Job")}


def containers(doc: dict) -> list[dict]:
    return doc["spec"]["template"]["spec"]["containers"]


def strings(node) -> list[str]:
    """Every string in a parsed document, keys and values, however deep."""
    if isinstance(node, dict):
        return [text for key, value in node.items() for text in strings(key) + strings(value)]
    if isinstance(node, list):
        return [text for item in node for text in strings(item)]
    return [node] if isinstance(node, str) else []


def compose_services(result: Exported) -> dict[str, dict]:
    from wizard.core.export.source import load_source
    from wizard.core.manifest.stack import load_stack

    profiles = BUNDLED_PROFILES if result.root.name == "bundled" else ()
    source = load_source(load_stack(result.root / "stack.toml"), profiles=profiles)
    return {name: service for group in source.plan.groups for name, service in source.services(group.name).items()}


@pytest.mark.parametrize("name", STACKS)
def test_every_manifest_passes_strict_validation(exported, name):
    import kubernetes_validate

    result = exported[name]
    docs = [(file, doc) for file, doc in result.docs() if file != "kustomization.yaml"]
    assert len(docs) > 5
    for file, doc in docs:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    kustomization = result.files()["kustomization.yaml"][0]
    written = sorted(path.name for path in result.folder.iterdir())
    assert sorted(kustomization["resources"] + ["kustomization.yaml"]) == written
    assert sorted(result.report["files"]) == written
    assert stat.S_IMODE(result.folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in result.folder.iterdir())


def test_strict_validation_rejects_an_unknown_field(exported):
    import kubernetes_validate

    deployment = next(doc for _, doc in exported["bundled"].docs() if doc["kind"] == "Deployment")
    broken = {**deployment, "spec": {**deployment["spec"], "replicaz": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("name", STACKS)
def test_every_secret_appears_only_in_secret_objects(exported, name):
    result = exported[name]
    secrets = result.secret_values()
    assert secrets
    in_secrets = [text for _, doc in result.docs() if doc["kind"] == "Secret" for text in strings(doc)]
    elsewhere = [(file, doc["kind"], strings(doc)) for file, doc in result.docs() if doc["kind"] != "Secret"]
    for secret, value in secrets.items():
        assert any(value in text for text in in_secrets), f"{secret} is in no Secret"
        for file, kind, texts in elsewhere:
            assert not any(value in text for text in texts), f"{secret} leaks into a {kind} in {file}"
        assert value not in result.stdout, f"{secret} in the report"


def test_a_secret_in_a_command_becomes_a_reference_to_an_env_var_from_a_secret(exported):
    (redis,) = containers(workloads(exported["commands"])["redis"])
    reference = "$(LAUNCHER_SECRET_PG_PASSWORD)"
    env = {item["name"]: item for item in redis["env"]}
    assert env["LAUNCHER_SECRET_PG_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "PG_PASSWORD"
    assert redis["command"] == ["docker-entrypoint.sh", f"--pass={reference}"]
    assert redis["args"][redis["args"].index("--requirepass") + 1] == reference
    assert f"--masterauth={reference}" in redis["args"]
    assert f"postgresql://postgres:{reference}@postgres/db" in redis["args"]
    # Probes are not expanded by Kubernetes: the shell expands the same env var there.
    assert redis["readinessProbe"]["exec"]["command"] == [
        "sh", "-c", 'exec redis-cli -a "${LAUNCHER_SECRET_PG_PASSWORD}" ping']
    (postgres,) = containers(workloads(exported["commands"])["postgres"])
    variable = next(item["name"] for item in postgres["env"]
                    if item.get("valueFrom", {}).get("secretKeyRef", {}).get("key") == "PG_PASSWORD")
    assert postgres["startupProbe"]["exec"]["command"] == [
        "sh", "-c", f"PGPASSWORD=''\"${{{variable}}}\"'' pg_isready -U postgres -h 127.0.0.1"]
    assert "$$(keep)" in redis["args"]  # Kubernetes reads $$ as one $: the word stays $(keep)


@pytest.mark.parametrize("name", STACKS)
def test_every_healthcheck_became_readiness_and_startup_probes(exported, name):
    result = exported[name]
    found = workloads(result)
    secrets = result.secret_values().values()
    checked = 0
    for service, compose in compose_services(result).items():
        check = compose.get("healthcheck")
        if not check or check.get("disable"):
            continue
        container = containers(found[k8s_name(service)])[0]
        test = check["test"]
        command = ["sh", "-c", test[1].replace("$$", "$")] if test[0] == "CMD-SHELL" else test[1:]
        if any(value in word for word in command for value in secrets):
            continue  # read from the environment instead: see the test of secrets in commands
        assert container["readinessProbe"]["exec"]["command"] == command, service
        assert container["startupProbe"]["exec"]["command"] == command, service
        assert container["startupProbe"]["failureThreshold"] >= container["readinessProbe"]["failureThreshold"]
        checked += 1
    assert checked >= {"bundled": 20, "engine": 3, "commands": 1}[name]


@pytest.mark.parametrize("name", STACKS)
def test_every_init_step_became_a_job_that_waits_for_its_group(exported, name):
    from wizard.core.manifest.stack import load_stack

    result = exported[name]
    stack = load_stack(result.root / "stack.toml")
    jobs = workloads(result)
    configmaps = {doc["metadata"]["name"]: doc for _, doc in result.docs() if doc["kind"] == "ConfigMap"}
    assert stack.steps
    for step in stack.steps:
        job = jobs[k8s_name(f"step-{step.name}")]
        assert job["kind"] == "Job"
        pod = job["spec"]["template"]["spec"]
        assert pod["containers"][0]["command"][-1] == step.name
        waited = {wait["name"] for wait in pod["initContainers"]}
        assert waited and all(name.startswith("wait-") for name in waited)
        env = {item["name"]: item for item in pod["containers"][0]["env"]}
        for param in ("dsn", "uri"):
            if param in step.params:
                # The host's 127.0.0.1:PORT became the Service that publishes it.
                assert "127.0.0.1" not in env[f"LAUNCHER_STEP_PARAM_{param.upper()}"]["value"]
        if "dir" in step.params:
            mount = pod["containers"][0]["volumeMounts"][0]
            assert mount["mountPath"] == f"/stack/{step.params['dir']}"
            volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
            data = configmaps[volume["configMap"]["name"]]["data"]
            seeds = sorted(p for p in (result.root / step.params["dir"]).rglob("*") if p.is_file())
            assert seeds and len(data) == len(seeds)
            for item in volume["configMap"]["items"]:
                assert data[item["key"]] == (result.root / step.params["dir"] / item["path"]).read_text()


def test_workload_kinds_follow_volumes_and_one_shot_jobs(exported):
    found = workloads(exported["engine"])
    assert found["postgres"]["kind"] == "StatefulSet"
    assert [c["metadata"]["name"] for c in found["postgres"]["spec"]["volumeClaimTemplates"]] == ["pgdata"]
    assert found["migrate"]["kind"] == "Job"
    # redis keeps its data and web its files in named volumes: StatefulSets with claims too.
    assert found["redis"]["kind"] == "StatefulSet" and found["web"]["kind"] == "StatefulSet"
    assert [c["metadata"]["name"] for c in found["redis"]["spec"]["volumeClaimTemplates"]] == ["redisdata"]
    assert [c["metadata"]["name"] for c in found["web"]["spec"]["volumeClaimTemplates"]] == ["files"]
    # cache comes after db, app after db and cache: initContainers wait for their services.
    waits = {name: [w["name"] for w in doc["spec"]["template"]["spec"].get("initContainers", [])]
             for name, doc in found.items()}
    assert waits["postgres"] == []
    assert waits["redis"] == ["wait-postgres"]
    assert sorted(waits["web"]) == ["wait-postgres", "wait-redis"]
    env = {e["name"]: e for e in containers(found["postgres"])[0]["env"]}
    assert env["POSTGRES_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "enginestack-secrets",
                                                                     "key": "PG_PASSWORD"}


def test_bundled_files_become_configmaps_and_the_keyfile_a_secret(exported):
    result = exported["bundled"]
    by_kind = {}
    for _, doc in result.docs():
        if doc["kind"] != "Kustomization":
            by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    kong = by_kind["ConfigMap"]["ailab-files-compose-volumes-kong-yml"]
    assert kong["data"]["kong.yml"] == (result.root / "compose/volumes/kong.yml").read_text()
    keyfile = by_kind["Secret"]["ailab-secret-mongo-keyfile"]
    assert keyfile["stringData"]["mongo_keyfile"] == (result.root / "secrets/mongo-keyfile").read_text()
    mongodb = containers(by_kind["StatefulSet"]["mongodb"])[0]
    assert {"name": "v-ailab-secret-mongo-keyfile", "mountPath": "/run/secrets/mongo_keyfile",
            "subPath": "mongo_keyfile", "readOnly": True} in mongodb["volumeMounts"]


def test_report_lists_what_was_dropped_and_what_is_left_to_do(exported):
    engine = exported["engine"].report
    dropped = {(item["where"], item["what"]) for item in engine["dropped"]}
    assert {("service redis", "depends_on"), ("service web", "depends_on"), ("service migrate", "depends_on"),
            ("service postgres", "pull_policy")} <= dropped
    assert all(item["why"] for item in engine["dropped"] + engine["manual"] + engine["translated"])
    bundled = exported["bundled"].report
    dropped = {(item["where"], item["what"]) for item in bundled["dropped"]}
    assert ("service vector", "bind /var/run/docker.sock") in dropped
    assert ("service mongodb", "extra_hosts") in dropped
    manual = {(item["where"], item["what"]) for item in bundled["manual"]}
    assert ("service stackend", "build") in manual and ("init steps", "image") in manual


def test_plain_report_names_every_section(tmp_path):
    root = engine_copy(tmp_path)
    assert run("init", "--non-interactive", cwd=root).returncode == 0
    result = run("export", "kubernetes", str(tmp_path / "out"), cwd=root)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"wrote 7 file(s) to {tmp_path / 'out'}")
    for title in ("Translated:", "Dropped (the target rejects or ignores it):", "To do by hand:"):
        assert title in result.stdout
    assert "service redis: depends_on — order within a group is not kept" in result.stdout


def test_an_existing_target_folder_keeps_its_mode(tmp_path):
    root = engine_copy(tmp_path)
    assert run("init", "--non-interactive", cwd=root).returncode == 0
    (tmp_path / "shared").mkdir(mode=0o755)
    os.chmod(tmp_path / "shared", 0o755)
    result = run("export", "kubernetes", str(tmp_path / "shared"), cwd=root)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE((tmp_path / "shared").stat().st_mode) == 0o755
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in (tmp_path / "shared").iterdir())


def test_export_before_init_is_one_line_and_writes_nothing(tmp_path):
    root = engine_copy(tmp_path)
    result = run("export", "kubernetes", str(tmp_path / "out"), cwd=root)
    assert result.returncode == 8, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("launcher: ")
    assert "launcher init" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.integration
def test_the_seed_job_command_applies_seeds_with_the_tracking_table(exported, pg_dsn):
    """The Job's own command and environment (the Secret's value in place of its secretKeyRef),
    pointed at a real database: seeds applied once, tracked, a second run has nothing to do."""
    import json
    import subprocess
    import sys

    import psycopg

    result = exported["engine"]
    job = workloads(result)["step-schema"]
    container = containers(job)[0]
    secrets = result.secret_values()
    env = {}
    for item in container["env"]:
        ref = item.get("valueFrom", {}).get("secretKeyRef")
        env[item["name"]] = secrets[ref["key"]] if ref else item["value"]
    env["LAUNCHER_STACK"] = str(result.root / "stack.toml")  # the image's /stack is this folder here
    env["LAUNCHER_STEP_PARAM_DSN"] = pg_dsn  # the in-cluster Service name cannot resolve here
    argv = [sys.executable if part == "python" else part for part in container["command"]]
    for already_done in (False, True):
        done = subprocess.run(argv, env={**os.environ, **env}, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        events = [json.loads(line) for line in done.stdout.splitlines()]
        assert events[0]["event"] == "step-started" and events[-1]["event"] == "step-finished"
        assert events[-1]["skipped"] is already_done
        assert secrets["PG_PASSWORD"] not in done.stdout
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("SELECT name FROM items").fetchall() == [("first",)]
        assert conn.execute("SELECT count(*) FROM launcher.applied_seeds").fetchone() == (1,)


@pytest.mark.parametrize("args", [["kubernetes", "{file}"], ["swarm", "{file}"], ["kubernetes", "{out}",
                                                                                   "--profile=nope"]])
def test_bad_arguments_are_one_line_exit_2(tmp_path, args):
    root = engine_copy(tmp_path)
    assert run("init", "--non-interactive", cwd=root).returncode == 0
    (tmp_path / "file").write_text("keep me")
    given = [arg.format(file=tmp_path / "file", out=tmp_path / "out") for arg in args]
    result = run("export", *given, cwd=root)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("launcher: ")
    assert (tmp_path / "file").read_text() == "keep me" and not (tmp_path / "out").exists()
