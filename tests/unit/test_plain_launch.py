"""Plain and JSON renderings of the launch events."""

from __future__ import annotations

import json

from wizard.core.support.events import (Finished, GroupReady, PreflightCheck, ServiceFailed, ServiceProgress, ServiceReady,
                                StepFinished)
from wizard.frontends.plain import render_event


def test_failure_shows_probes_log_tail_and_next_command():
    event = ServiceFailed(group="db", service="postgres", reason="unhealthy: its healthcheck keeps failing",
                          health_log=("exit 2: no response",), log_tail=tuple(f"line {n}" for n in range(40)),
                          next_command="launcher logs postgres")
    lines = render_event(event)
    assert lines[0] == "    postgres: FAILED: unhealthy: its healthcheck keeps failing"
    assert "      exit 2: no response" in lines
    assert "    last 40 log lines:" in lines and "      | line 39" in lines
    assert lines[-1] == "    dig further: launcher logs postgres"


def test_progress_lines():
    assert render_event(ServiceProgress("db", "postgres", "running", "starting", 1.25)) == [
        "    postgres: running (starting) 1.2s"]
    assert render_event(ServiceReady("app", "migrate", "completed", 0.8)) == ["    migrate: completed after 0.8s"]
    assert render_event(ServiceReady("db", "postgres", "already-healthy", 0)) == ["    postgres: already ready"]
    assert render_event(GroupReady("db", 0.0, changed=False)) == ["  db already running"]
    assert render_event(PreflightCheck("port 5432", "fail", "held by x", "use 5433")) == [
        "FAIL port 5432: held by x — use 5433"]
    assert render_event(StepFinished("schema", "3 applied")) == ["  step schema: 3 applied"]


def test_json_lines_name_the_event_and_carry_lists():
    event = ServiceFailed(group="db", service="postgres", reason="x", health_log=("a",), log_tail=("b",))
    data = json.loads(json.dumps(event.to_dict()))
    assert data["event"] == "service-failed" and data["log_tail"] == ["b"]
    assert Finished(ok=True, elapsed=1.0, summary="s").to_dict()["event"] == "finished"
