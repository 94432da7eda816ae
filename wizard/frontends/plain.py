"""Plain line output for pipes, CI and --plain; --json turns the same events into JSON lines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from wizard.core.support.events import (EnvFilesWritten, Event, Finished, GroupReady, GroupSkipped, GroupStarting, Note,
                                PreflightCheck, RotationResumed, SecretApplied, ServiceFailed, ServiceProgress,
                                ServiceReady, StepFailed, StepFinished, StepProgress, StepStarted, WaveStarted)
from wizard.core.manifest.plan import Plan
from wizard.frontends.words import check_mark

if TYPE_CHECKING:
    from wizard.core.lifecycle.status import ServiceStatus


def render_plan(plan: Plan) -> str:
    """The plan as lines for a terminal or a log."""
    lines = [f"stack {plan.stack}: {len(plan.waves)} wave(s)"]
    for wave in plan.waves:
        lines.append(f"wave {wave.index}: {', '.join(group.name for group in wave.groups)}")
        for step in wave.steps:
            lines.append(f"  then {step.name} ({step.kind}, after {step.after})")
    for skip in plan.skipped:
        lines.append(f"skipped {skip.group}: {skip.reason}")
    return "\n".join(lines)


def lock_wait_line(holder) -> str:
    """Said once while waiting for another launcher to let go of the stack's lock."""
    who = holder.describe() if holder is not None else "another launcher"
    return f"waiting for {who}, which is working on this stack…"


# --------------------------------------------------------------------------- events of up/restart/down


def render_event(event: Event) -> list[str]:
    """The lines one event prints; progress events print only when a service's state changes."""
    if isinstance(event, PreflightCheck):
        line = f"{check_mark(event.status)} {event.check}: {event.detail}"
        return [f"{line} — {event.hint}" if event.hint and event.status != "ok" else line]
    if isinstance(event, GroupSkipped):
        return [f"skipped {event.group}: {event.reason}"]
    if isinstance(event, WaveStarted):
        return [f"wave {event.wave}: {', '.join(event.groups)}"]
    if isinstance(event, GroupStarting):
        return [f"  starting {event.group}: {', '.join(event.services)}"]
    if isinstance(event, ServiceProgress):
        health = f" ({event.health})" if event.health else ""
        return [f"    {event.service}: {event.state}{health} {_seconds(event.elapsed)}"]
    if isinstance(event, ServiceReady):
        if event.how == "already-healthy":
            return [f"    {event.service}: already ready"]
        return [f"    {event.service}: {event.how} after {_seconds(event.elapsed)}"]
    if isinstance(event, ServiceFailed):
        return _render_failure(event)
    if isinstance(event, GroupReady):
        return [f"  {event.group} ready in {_seconds(event.elapsed)}" if event.changed
                else f"  {event.group} already running"]
    if isinstance(event, StepStarted):
        return [f"  step {event.step} ({event.kind})"]
    if isinstance(event, StepProgress):
        return [f"    {event.message}"]
    if isinstance(event, StepFinished):
        return [f"  step {event.step}: {'skipped, ' if event.skipped else ''}{event.summary}"]
    if isinstance(event, StepFailed):
        return [f"  step {event.step} FAILED: {event.reason}"]
    if isinstance(event, Note):
        return [event.message]
    if isinstance(event, (RotationResumed, SecretApplied, EnvFilesWritten)):
        return _render_rotation(event)
    if isinstance(event, Finished):
        return [event.summary] if event.summary else []
    return [str(event)]


def _render_rotation(event: Event) -> list[str]:
    if isinstance(event, RotationResumed):
        return [f"finishing an earlier rotation of {event.secret} (new value kept in {event.pending_file})"]
    if isinstance(event, SecretApplied):
        how = "already had the new password" if event.already_current else "password changed"
        return [f"{event.secret}: {how} for {', '.join(event.roles)} at {event.target}"]
    if isinstance(event, EnvFilesWritten):
        files = ", ".join(event.files) or "no file changed"
        recreate = ", ".join(event.recreate) or "none (no running service uses it)"
        return [f"{event.secret}: wrote {files}", f"recreating: {recreate}"]
    return [str(event)]


def _render_failure(event: ServiceFailed) -> list[str]:
    lines = [f"    {event.service}: FAILED: {event.reason}"]
    if event.health_log:
        lines.append("    last health probes:")
        lines.extend(f"      {line}" for entry in event.health_log for line in entry.splitlines() or [""])
    if event.log_tail:
        lines.append(f"    last {len(event.log_tail)} log lines:")
        lines.extend(f"      | {line}" for line in event.log_tail)
    if event.next_command:
        lines.append(f"    dig further: {event.next_command}")
    return lines


def _seconds(value: float) -> str:
    return f"{value:.1f}s"


# --------------------------------------------------------------------------- status and doctor


def render_status(rows: Sequence[ServiceStatus], *, stack: str = "") -> str:
    """The status snapshot as an aligned table, with a one-line summary under it."""
    show_restarts = any(row.restarts is not None for row in rows)
    header = ["GROUP", "SERVICE", "STATE", "HEALTH", "UPTIME"] + (["RESTARTS"] if show_restarts else []) + ["URLS"]
    table = [header]
    for row in rows:
        state = row.state
        if row.state == "exited" and row.exit_code is not None:
            state = f"exited ({row.exit_code}){' done' if row.oneshot and row.exit_code == 0 else ''}"
        cells = [row.group or "-", row.service, state, row.health or "-", row.uptime_text or "-"]
        if show_restarts:
            cells.append("-" if row.restarts is None else str(row.restarts))
        cells.append(" ".join(row.urls) or "-")
        table.append(cells)
    widths = [max(len(line[column]) for line in table) for column in range(len(header) - 1)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)) + "  " + line[-1]
             for line in table]
    from wizard.core.lifecycle.status import ready_text

    title = f"stack {stack}: " if stack else ""
    lines.append(f"{title}{ready_text(rows)}")
    return "\n".join(line.rstrip() for line in lines)


def render_check_step(step) -> str:
    """One step of `launcher check` (a ``wizard.core.lifecycle.smoke`` step)."""
    return f"{check_mark('ok' if step.ok else 'fail')}  {step.name:<8} {step.detail} ({step.seconds:.2f} s)"


def render_checks(checks: Sequence[PreflightCheck]) -> str:
    """Doctor's findings, one line each; hints for anything not ok."""
    lines = []
    for check in checks:
        line = f"{check_mark(check.status)} {check.name}: {check.detail}"
        lines.append(f"{line} — {check.hint}" if check.hint and check.status != "ok" else line)
    return "\n".join(lines)
