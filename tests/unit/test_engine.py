"""The engine boundary's parsing and discovery, without an engine: compose versions, the compose
model (one-shot jobs, wait timeouts, ports), container summaries and error lines."""

from __future__ import annotations

import os
import stat

import pytest

from wizard.core.docker import model as engine  # engine.WAIT_FLOOR, as before the split
from wizard.core.docker.composecli import find_compose, parse_version
from wizard.core.docker.containers import container_from_summary, human_duration
from wizard.core.docker.failures import compose_failed, engine_unreachable
from wizard.core.docker.model import PublishedPort, ServiceSpec, go_duration, model_from_config, wait_timeout
from wizard.core.support.errors import DockerUnavailable


@pytest.mark.parametrize("text, expected", [
    ("v2.40.3", (2, 40, 3)), ("2.26.0\n", (2, 26, 0)), ("Docker Compose version v2.27.1-desktop.1", (2, 27, 1)),
    ("docker-compose version 1.29.2, build 5becea4c", (1, 29, 2)), ("2.30", (2, 30, 0)), ("nope", None),
])
def test_parse_version(text, expected):
    assert parse_version(text) == expected


def fake_binary(folder, name, script):
    path = folder / name
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


@pytest.fixture
def isolated_path(tmp_path, monkeypatch):
    """PATH holding only a temp folder, and a fresh cache folder."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    return bin_dir


def test_compose_too_old_names_what_was_found(isolated_path):
    fake_binary(isolated_path, "docker-compose", 'echo "1.29.2"')
    with pytest.raises(DockerUnavailable) as caught:
        find_compose()
    assert "2.26" in caught.value.message and "docker-compose 1.29.2" in caught.value.message
    assert "\n" not in caught.value.one_line()


def test_compose_missing_says_so(isolated_path):
    with pytest.raises(DockerUnavailable, match="no docker or docker-compose on PATH"):
        find_compose()


def test_docker_without_compose_plugin_falls_back_to_the_binary(isolated_path):
    fake_binary(isolated_path, "docker", 'echo "docker: unknown command: docker compose" >&2; exit 1')
    fake_binary(isolated_path, "docker-compose", 'echo "v2.30.1"')
    found = find_compose()
    assert found.argv == (str(isolated_path / "docker-compose"),)
    assert found.version == "2.30.1"


def test_docker_plugin_is_preferred_and_the_answer_is_cached(isolated_path, tmp_path):
    counter = tmp_path / "calls"
    fake_binary(isolated_path, "docker", f'echo x >> {counter}; echo "2.40.3"')
    first = find_compose()
    second = find_compose()
    assert first == second and first.argv[-1] == "compose" and first.describe() == "docker compose 2.40.3"
    assert counter.read_text().count("x") == 1


def test_cache_is_refreshed_when_the_binary_changes(isolated_path):
    docker = fake_binary(isolated_path, "docker", 'echo "2.40.3"')
    assert find_compose().version == "2.40.3"
    docker.write_text('#!/bin/sh\necho "2.20.0"\n')
    os.utime(docker, ns=(docker.stat().st_atime_ns, docker.stat().st_mtime_ns + 10**9))
    with pytest.raises(DockerUnavailable, match="docker compose 2.20.0"):
        find_compose()


@pytest.mark.parametrize("text, seconds", [("1s", 1), ("1m30s", 90), ("500ms", 0.5), ("1h", 3600), (None, 7)])
def test_go_duration(text, seconds):
    assert go_duration(text, 7) == pytest.approx(seconds)


def test_wait_timeout_from_healthcheck_with_a_floor():
    assert wait_timeout({"interval": "10s", "timeout": "5s", "retries": 10, "start_period": "30s"}) == 30 + 10 * 15
    assert wait_timeout({"interval": "1s", "retries": 3}) == engine.WAIT_FLOOR
    assert wait_timeout(None) == engine.WAIT_FLOOR
    # Docker's defaults: 30s interval, 3 retries.
    assert wait_timeout({"test": ["CMD", "true"]}) == 3 * 60


CONFIG = {
    "services": {
        "db": {"healthcheck": {"test": ["CMD", "pg_isready"], "interval": "2s", "retries": 50},
               "ports": [{"target": 5432, "published": "15432", "host_ip": "127.0.0.1", "protocol": "tcp"}]},
        "migrate": {"restart": "no", "depends_on": {"db": {"condition": "service_healthy"}}},
        "api": {"depends_on": {"migrate": {"condition": "service_completed_successfully"}},
                "ports": [{"target": 80, "published": "8080"}, {"target": 81}]},
        "loader": {"labels": {"launcher.oneshot": "true"}, "restart": "on-failure"},
        "worker": {"restart": "no"},
        "cron": {"restart": "unless-stopped"},
        "quiet": {"healthcheck": {"disable": True}},
    }
}


def test_model_recognises_jobs_healthchecks_and_ports():
    model = model_from_config(CONFIG, {"db": "data", "migrate": "app", "api": "app"})
    assert model.names == ["db", "migrate", "api", "loader", "worker", "cron", "quiet"]
    assert model.service("migrate").oneshot  # restart no + awaited with service_completed_successfully
    assert model.service("loader").oneshot  # the label says so
    assert not model.service("worker").oneshot  # restart no alone is not enough: nothing waits for it to end
    assert not model.service("cron").oneshot
    assert model.service("db").healthcheck and model.service("db").wait_timeout == 50 * (2 + 2)
    assert not model.service("quiet").healthcheck
    assert model.service("db").ports == (PublishedPort(15432, 5432, "127.0.0.1", "tcp"),)
    assert model.service("api").ports == (PublishedPort(8080, 80, "", "tcp"),)
    assert model.service("api").depends_on == ("migrate",)
    assert [s.name for s in model.in_groups(["app"])] == ["migrate", "api"]
    assert model.group_of("db") == "data" and model.group_of("cron") == ""


def test_model_label_can_say_a_job_is_not_one():
    config = {"services": {"a": {"restart": "no", "labels": {"launcher.oneshot": "false"}},
                           "b": {"depends_on": {"a": {"condition": "service_completed_successfully"}}}}}
    assert not model_from_config(config, {}).service("a").oneshot


def summary(status, state="running", ports=(), service="web"):
    return {"Id": "abc", "Names": ["/demo-web-1"], "State": state, "Status": status, "Created": 1700000000,
            "Labels": {"com.docker.compose.service": service, "com.docker.compose.project": "demo"},
            "Ports": list(ports)}


@pytest.mark.parametrize("status, state, health, exit_code, uptime", [
    ("Up 5 seconds (healthy)", "running", "healthy", None, 5),
    ("Up About a minute (health: starting)", "running", "starting", None, 60),
    ("Up 2 hours (unhealthy)", "running", "unhealthy", None, 7200),
    ("Up Less than a second", "running", "", None, 0),
    ("Exited (0) 3 seconds ago", "exited", "", 0, None),
    ("Exited (137) 2 days ago", "exited", "", 137, None),
    ("Created", "created", "", None, None),
    ("Restarting (1) 2 seconds ago", "restarting", "", None, None),
])
def test_container_summary_parsing(status, state, health, exit_code, uptime):
    parsed = container_from_summary(summary(status, state))
    assert (parsed.state, parsed.health, parsed.exit_code, parsed.uptime) == (state, health, exit_code, uptime)
    assert parsed.name == "demo-web-1" and parsed.service == "web" and parsed.project == "demo"


def test_container_ports_once_per_port_with_urls():
    parsed = container_from_summary(summary("Up 1 second", ports=[
        {"IP": "0.0.0.0", "PrivatePort": 8080, "PublicPort": 18080, "Type": "tcp"},
        {"IP": "::", "PrivatePort": 8080, "PublicPort": 18080, "Type": "tcp"},
        {"IP": "127.0.0.1", "PrivatePort": 5432, "PublicPort": 15432, "Type": "tcp"},
        {"PrivatePort": 9000, "Type": "tcp"},  # exposed, not published
    ]))
    assert [p.url() for p in parsed.ports] == ["postgresql://127.0.0.1:15432", "http://127.0.0.1:18080"]


@pytest.mark.parametrize("text, seconds", [("3 weeks", 3 * 604800), ("1 second", 1), ("About an hour", 3600),
                                           ("whenever", None)])
def test_human_duration(text, seconds):
    assert human_duration(text) == seconds


def test_unreachable_engine_is_one_line_with_the_reason(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///tmp/none.sock")
    error = engine_unreachable(Exception("('Connection aborted.', ConnectionRefusedError(111, 'Connection refused'))"))
    assert error.one_line().startswith("Docker engine not reachable at unix:///tmp/none.sock (connection refused)")
    assert "\n" not in error.one_line()
    denied = engine_unreachable(Exception("PermissionError(13, 'Permission denied')"))
    assert "docker group" in denied.hint


def test_compose_failure_keeps_its_last_line():
    error = compose_failed("config", "WARN[0000] something\nservice \"a\" depends on undefined service \"b\"\n")
    assert error.message.endswith('depends on undefined service "b"')


def test_a_job_is_what_a_dependant_waits_to_complete_whatever_its_restart_policy():
    """Compose's --wait (getDependencyCondition) treats it as a job; `restart: on-failure` changes nothing."""
    config = {"services": {"job": {"restart": "on-failure"}, "always": {"restart": "always"},
                           "app": {"depends_on": {"job": {"condition": "service_completed_successfully"},
                                                  "always": {"condition": "service_completed_successfully"}}}}}
    model = model_from_config(config, {})
    assert model.service("job").oneshot and model.service("always").oneshot
    assert not model.service("app").oneshot


def test_model_knows_what_compose_checks_and_does_at_start():
    config = {
        "services": {
            "app": {"depends_on": {"db": {"condition": "service_healthy", "required": True},
                                   "cache": {"condition": "service_healthy", "required": False},
                                   "job": {"condition": "service_completed_successfully"}},
                    "configs": [{"source": "inline"}], "secrets": [{"source": "file-secret"}]},
            "db": {"secrets": [{"source": "env-secret"}],
                   "healthcheck": {"test": ["CMD", "true"], "start_interval": "1s", "start_period": "5s"}},
            "cache": {"configs": [{"source": "from-file"}],
                      "healthcheck": {"test": ["CMD", "true"], "start_interval": "1s"}},
            "job": {},
        },
        "configs": {"inline": {"content": "x"}, "from-file": {"file": "/tmp/x"}},
        "secrets": {"env-secret": {"environment": "TOKEN"}, "file-secret": {"file": "/tmp/s"}},
    }
    model = model_from_config(config, {})
    app, db, cache = model.service("app"), model.service("db"), model.service("cache")
    assert app.healthy_deps == ("db",)  # an optional one is left out, as compose goes on without it
    assert app.injects_files and db.injects_files and not cache.injects_files  # a file: is a bind mount
    assert (db.start_interval, db.start_period_set) == ("1s", True)
    assert (cache.start_interval, cache.start_period_set) == ("1s", False)
    assert app.start_interval == ""
    assert ServiceSpec.from_dict(app.to_dict()) == app  # the cached model keeps them
