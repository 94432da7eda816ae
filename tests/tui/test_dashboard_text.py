"""The dashboard's cell text: marks that read without colour."""

from __future__ import annotations


def test_state_marks_read_without_colour():
    from wizard.core.lifecycle.status import NOT_CREATED, SKIPPED, ServiceStatus
    from wizard.tui.screens.dashboard import state_text

    def row(state, health="", ready=False, exit_code=None):
        return ServiceStatus(group="app", service="web", state=state, health=health, ready=ready,
                             exit_code=exit_code)

    assert state_text(row("running", "healthy", ready=True)) == "✓ running"
    assert state_text(row("running", "unhealthy")) == "✗ running"
    assert state_text(row(NOT_CREATED)) == "✗ not created"
    assert state_text(row(SKIPPED)) == "– skipped"
    assert state_text(row("running", "starting")) == "… running"
    assert state_text(row("exited", exit_code=1)) == "✗ exited 1"
