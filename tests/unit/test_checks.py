"""One set of checks: the wizard's live port check, doctor and up's preflight read the same port findings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.unit.fake_engine import container
from wizard.core.lifecycle.checks import WantedPort, check_ports, env_files_check, find_ports, port_free
from wizard.core.docker.model import PublishedPort
from wizard.core.support.events import PreflightCheck
from wizard.core.manifest.stack import load_stack
from wizard.core.lifecycle.initsession import InitSession

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "engine_stack"


@pytest.fixture
def stack(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "stack")
    return load_stack(tmp_path / "stack" / "stack.toml")


def test_the_wizard_and_doctor_name_the_same_holder_and_the_same_free_port(stack, listener):
    session = InitSession(stack, settings={"PG_PORT": str(listener), "REDIS_PORT": "16379", "WEB_PORT": "18080"})
    statuses = {status.setting: status for status in session.check_ports(containers=lambda: ([], []))}
    busy = statuses["PG_PORT"]
    assert busy.status == "busy" and busy.suggestion is not None and port_free(busy.suggestion)

    wanted = [WantedPort(int(value), name, name) for name, value in session.settings.items()]
    [check] = [c for c in check_ports(wanted, project=[]) if c.check == f"port {listener}"]
    assert isinstance(check, PreflightCheck) and check.status == "fail"
    assert check.detail.endswith(busy.detail)  # "... is held by process python (pid N)"
    assert check.hint.endswith(f"launcher init --set PG_PORT={busy.suggestion}")


def test_a_port_our_own_container_holds_is_fine_for_all_of_them(stack, listener):
    ours = container("postgres", "running", ports=[PublishedPort(listener, 5432)])
    finding = find_ports([WantedPort(listener, "postgres", "PG_PORT")], project=[ours])[listener]
    assert (finding.state, finding.holder) == ("ours", ours.name)
    session = InitSession(stack, settings={"PG_PORT": str(listener), "REDIS_PORT": "16379", "WEB_PORT": "18080"})
    status = {s.setting: s for s in session.check_ports(containers=lambda: ([ours], [ours]))}["PG_PORT"]
    assert (status.status, status.detail) == ("ok", "used by this stack")


def test_missing_env_files_warn_in_doctor_and_block_up(stack):
    doctor, up = env_files_check(stack), env_files_check(stack, missing_status="fail")
    assert (doctor.status, up.status) == ("warn", "fail")
    assert doctor.detail == up.detail and doctor.detail.startswith("missing: ")
    assert doctor.hint == "run `launcher init`"
