"""Plain line output for pipes, CI and --plain; --json turns the same events into JSON lines."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Callable, Sequence

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


# --------------------------------------------------------------------------- events

Renderer = Callable[[Any], "list[str]"]
# One renderer per event type (found along the event's class ancestry), so a new event
# cannot fall through to a repr: tests/unit/test_plain_events.py walks every event type.
_RENDERERS: dict[type, Renderer] = {}
# Modules that register the renderers of their own events (image and snapshot words).
_RENDERER_MODULES = ("wizard.frontends.images", "wizard.frontends.snapshots", "wizard.frontends.upgrade",
                     "wizard.frontends.changes")


def renders(*event_types: type) -> Callable[[Renderer], Renderer]:
    """Register the decorated function as the plain renderer of these event types."""
    def register(renderer: Renderer) -> Renderer:
        for event_type in event_types:
            _RENDERERS[event_type] = renderer
        return renderer
    return register


def renderer_for(event_type: type) -> Renderer | None:
    """The renderer of an event type: its own, or its nearest ancestor's; None when it has none."""
    _load_renderer_modules()
    return next((_RENDERERS[klass] for klass in event_type.__mro__ if klass in _RENDERERS), None)


@functools.cache
def _load_renderer_modules() -> None:
    from importlib import import_module

    for module in _RENDERER_MODULES:
        import_module(module)


def render_event(event: Event) -> list[str]:
    """The lines one event prints (progress events only when a service's state changes)."""
    renderer = renderer_for(type(event))
    return renderer(event) if renderer is not None else []


@renders(PreflightCheck)
def _check(event: PreflightCheck) -> list[str]:
    line = f"{check_mark(event.status)} {event.check}: {event.detail}"
    return [f"{line} — {event.hint}" if event.hint and event.status != "ok" else line]


@renders(GroupSkipped)
def _group_skipped(event: GroupSkipped) -> list[str]:
    return [f"skipped {event.group}: {event.reason}"]


@renders(WaveStarted)
def _wave_started(event: WaveStarted) -> list[str]:
    return [f"wave {event.wave}: {', '.join(event.groups)}"]


@renders(GroupStarting)
def _group_starting(event: GroupStarting) -> list[str]:
    return [f"  starting {event.group}: {', '.join(event.services)}"]


@renders(ServiceProgress)
def _service_progress(event: ServiceProgress) -> list[str]:
    health = f" ({event.health})" if event.health else ""
    return [f"    {event.service}: {event.state}{health} {_seconds(event.elapsed)}"]


@renders(ServiceReady)
def _service_ready(event: ServiceReady) -> list[str]:
    if event.how == "already-healthy":
        return [f"    {event.service}: already ready"]
    return [f"    {event.service}: {event.how} after {_seconds(event.elapsed)}"]


@renders(GroupReady)
def _group_ready(event: GroupReady) -> list[str]:
    return [f"  {event.group} ready in {_seconds(event.elapsed)}" if event.changed
            else f"  {event.group} already running"]


@renders(StepStarted)
def _step_started(event: StepStarted) -> list[str]:
    return [f"  step {event.step} ({event.kind})"]


@renders(StepProgress)
def _step_progress(event: StepProgress) -> list[str]:
    return [f"    {event.message}"]


@renders(StepFinished)
def _step_finished(event: StepFinished) -> list[str]:
    return [f"  step {event.step}: {'skipped, ' if event.skipped else ''}{event.summary}"]


@renders(StepFailed)
def _step_failed(event: StepFailed) -> list[str]:
    return [f"  step {event.step} FAILED: {event.reason}"]


@renders(Note)
def _note(event: Note) -> list[str]:
    return [event.message]


@renders(Finished)
def _finished(event: Finished) -> list[str]:
    return [event.summary] if event.summary else []


@renders(RotationResumed)
def _rotation_resumed(event: RotationResumed) -> list[str]:
    return [f"finishing an earlier rotation of {event.secret} (new value kept in {event.pending_file})"]


@renders(SecretApplied)
def _secret_applied(event: SecretApplied) -> list[str]:
    how = "already had the new password" if event.already_current else "password changed"
    return [f"{event.secret}: {how} for {', '.join(event.roles)} at {event.target}"]


@renders(EnvFilesWritten)
def _env_files_written(event: EnvFilesWritten) -> list[str]:
    files = ", ".join(event.files) or "no file changed"
    recreate = ", ".join(event.recreate) or "none (no running service uses it)"
    return [f"{event.secret}: wrote {files}", f"recreating: {recreate}"]


@renders(ServiceFailed)
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
    show_nodes = any(row.node for row in rows)  # on Swarm: where each task runs
    header = (["GROUP", "SERVICE", "STATE", "HEALTH", "UPTIME"] + (["RESTARTS"] if show_restarts else [])
              + (["NODE"] if show_nodes else []) + ["URLS"])
    table = [header]
    for row in rows:
        state = row.state
        if row.state == "exited" and row.exit_code is not None:
            state = f"exited ({row.exit_code}){' done' if row.oneshot and row.exit_code == 0 else ''}"
        cells = [row.group or "-", row.service, state, row.health or "-", row.uptime_text or "-"]
        if show_restarts:
            cells.append("-" if row.restarts is None else str(row.restarts))
        if show_nodes:
            cells.append(row.node or "-")
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
