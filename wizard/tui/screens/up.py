"""`launcher up` live: one row per group, service and init step, then the dashboard.

The rows render the events of ``wizard.core.lifecycle.launch.up`` (run in a thread
worker); nothing here decides what starts. A failed service shows its reason,
health probes and last log lines in place.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import singledispatchmethod
from typing import Callable, Iterator

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Log, ProgressBar, Static
from textual.worker import get_current_worker

from wizard.core.support import events as ev
from wizard.frontends.changes import change_words, recreating_data_words
from wizard.frontends.words import check_symbol, image_doing, image_done_symbol, ready_symbol
from wizard.tui.control import StackControl
from wizard.tui.screens.base import LauncherScreen

INIT_GROUP = "init"
IMAGES_GROUP = "images"


class StopRequested(Exception):
    """Raised from the poll sleep when the screen goes away, so `up` stops waiting (and compose)."""


@dataclass
class Row:
    group: str
    name: str
    state: str = "waiting"
    started: float | None = None  # monotonic, while it runs
    elapsed: float | None = None  # final, once done
    order: tuple = field(default=())

    def time_text(self, now: float) -> str:
        seconds = self.elapsed if self.elapsed is not None else (now - self.started if self.started else None)
        return "" if seconds is None else f"{seconds:.0f}s"


class UpScreen(LauncherScreen):
    """Progress of one `up` (or the stack's first start after the wizard)."""

    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("enter", "dashboard", "Dashboard", show=False),
    ]

    @dataclass
    class UpEvent(Message):
        """One event of the run, carried from the worker to the UI thread."""

        event: ev.Event

    @dataclass
    class UpStopped(Message):
        """The run ended: ``error`` is None when everything is up (and the data copied)."""

        error: BaseException | None

    def __init__(self, control: StackControl, *, then: str = "dashboard",
                 extra: Callable[[], Iterator[ev.Event] | None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.control = control
        self.then = then  # "dashboard": replace this screen with it; "back": return to it
        self.extra = extra  # runs after `up` succeeded (the wizard's one-time Mongo copy)
        self.clock = clock
        self.rows: dict[str, Row] = {}
        self.done = False
        self.failed = False

    def compose(self) -> ComposeResult:
        yield Static(f"Starting {self.control.stack.name}…", id="up-title", markup=False)
        with Horizontal(id="images"):
            yield Static("", id="images-label", markup=False)
            yield ProgressBar(id="images-bar", total=100, show_eta=False)
        table = DataTable(id="progress", cursor_type="row", show_cursor=False)
        for label, key in (("Group", "group"), ("Service / step", "name"), ("State", "state"), ("Time", "time")):
            table.add_column(label, key=key)
        yield table
        yield Log(id="up-log", auto_scroll=True)
        yield Footer()

    @property
    def progress_table(self) -> DataTable:
        return self.query_one("#progress", DataTable)

    @property
    def log_pane(self) -> Log:
        """What happened, line by line: checks, notes, failures with their logs."""
        return self.query_one("#up-log", Log)

    @property
    def headline(self) -> Static:
        return self.query_one("#up-title", Static)

    def on_mount(self) -> None:
        from wizard.core.manifest.plan import build_plan

        plan = build_plan(self.control.stack, only=self.control.up_options.get("only", ()),
                          profiles=self.control.profiles)
        for index, group in enumerate(plan.groups):
            self.rows[f"group:{group.name}"] = Row(group.name, "", order=(index, 0, 0))
        for skipped in plan.skipped:
            self.rows[f"group:{skipped.group}"] = Row(skipped.group, "", "skipped", order=(len(self.rows), 0, 0))
        self.render_rows()
        self.set_interval(1.0, self.render_rows)
        self.run_up()

    # -- the run -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="up", exit_on_error=False)
    def run_up(self) -> None:
        from wizard.core.support.errors import LauncherError

        worker = get_current_worker()

        def sleep(seconds: float) -> None:
            if worker.is_cancelled:
                raise StopRequested
            time.sleep(seconds)

        jobs: list[Callable[[], Iterator[ev.Event] | None]] = [lambda: self.control.up(sleep=sleep)]
        if self.extra is not None:
            jobs.append(self.extra)
        try:
            for job in jobs:
                events = job()
                if events is None:
                    continue
                try:
                    for event in events:
                        if worker.is_cancelled:
                            return
                        self.post_message(self.UpEvent(event))
                finally:
                    events.close()  # stops a compose run still in progress
        except StopRequested:
            return
        except LauncherError as error:
            self.post_message(self.UpStopped(error))
            return
        self.post_message(self.UpStopped(None))

    def on_up_screen_up_event(self, message: UpScreen.UpEvent) -> None:
        self.show_event(message.event)
        self.render_rows()

    @singledispatchmethod
    def show_event(self, event: object) -> None:
        """Fold one event into the rows and the log; chosen by the event's type (below).

        An event this view has no row or line for changes nothing.
        """

    @show_event.register
    def _show_preflight_check(self, event: ev.PreflightCheck) -> None:
        mark = check_symbol(event.status)
        hint = f" — {event.hint}" if event.hint else ""
        self.log_line(f"{mark} {event.check}: {event.detail}{hint}")

    @show_event.register
    def _show_note(self, event: ev.Note) -> None:
        self.log_line(event.message)

    @show_event.register
    def _show_service_change(self, event: ev.ServiceChange) -> None:
        self.log_line(change_words(event))

    @show_event.register
    def _show_recreating_data(self, event: ev.RecreatingData) -> None:
        self.log_line(recreating_data_words(event))

    @show_event.register
    def _show_group_skipped(self, event: ev.GroupSkipped) -> None:
        self._row(f"group:{event.group}", event.group, "").state = "skipped"
        self.log_line(f"skipped {event.group}: {event.reason}")

    @show_event.register
    def _show_wave_started(self, event: ev.WaveStarted) -> None:
        for group in event.groups:
            self._row(f"group:{group}", group, "").state = "starting"
            self.rows[f"group:{group}"].started = self.clock()

    @show_event.register
    def _show_group_starting(self, event: ev.GroupStarting) -> None:
        for service in event.services:
            row = self._row(f"service:{service}", event.group, service)
            row.state, row.started, row.elapsed = "starting", self.clock(), None

    @show_event.register
    def _show_service_progress(self, event: ev.ServiceProgress) -> None:
        row = self._row(f"service:{event.service}", event.group, event.service)
        row.state = f"{event.state} ({event.health})" if event.health else event.state
        row.started = row.started or self.clock() - event.elapsed

    @show_event.register
    def _show_service_ready(self, event: ev.ServiceReady) -> None:
        row = self._row(f"service:{event.service}", event.group, event.service)
        row.state, row.elapsed = ready_symbol(event.how), event.elapsed

    @show_event.register
    def _show_service_failed(self, event: ev.ServiceFailed) -> None:
        row = self._row(f"service:{event.service}", event.group, event.service)
        row.state = "✗ failed"
        row.elapsed = self.clock() - row.started if row.started else None
        group = self._row(f"group:{event.group}", event.group, "")
        group.state, group.elapsed = "✗ failed", (self.clock() - group.started if group.started else None)
        self.log_line(f"✗ {event.service}: {event.reason}")
        if event.health_log:
            self.log_line("  last health checks:")
            self.log_lines(f"    {line}" for line in event.health_log)
        if event.log_tail:
            self.log_line(f"  last {len(event.log_tail)} log lines of {event.service}:")
            self.log_lines(f"    {line}" for line in event.log_tail)
        if event.next_command:
            self.log_line(f"  more: {event.next_command}")

    @show_event.register
    def _show_group_ready(self, event: ev.GroupReady) -> None:
        row = self._row(f"group:{event.group}", event.group, "")
        row.state, row.elapsed = ("✓ ready" if event.changed else "✓ already up"), event.elapsed

    @show_event.register
    def _show_step_started(self, event: ev.StepStarted) -> None:
        row = self._row(f"step:{event.step}", self._step_group(event.step), event.step)
        row.state, row.started, row.elapsed = "running", self.clock(), None

    @show_event.register
    def _show_step_progress(self, event: ev.StepProgress) -> None:
        self.log_line(f"{event.step}: {event.message}")

    @show_event.register
    def _show_step_finished(self, event: ev.StepFinished) -> None:
        row = self._row(f"step:{event.step}", self._step_group(event.step), event.step)
        row.state = "✓ nothing to do" if event.skipped else "✓ done"
        row.elapsed = self.clock() - row.started if row.started else None
        self.log_line(f"{event.step}: {event.summary}")

    @show_event.register
    def _show_step_failed(self, event: ev.StepFailed) -> None:
        row = self._row(f"step:{event.step}", self._step_group(event.step), event.step)
        row.state = "✗ failed"
        row.elapsed = self.clock() - row.started if row.started else None
        self.log_line(f"✗ {event.step}: {event.reason}")

    # -- image pulls and builds: one row per image, one bar for the batch ----------------------
    # Image rows show no time: the pulls run together, the bar and its label carry the progress.

    @show_event.register
    def _show_images_started(self, event: ev.ImagesStarted) -> None:
        self.query_one("#images").add_class("active")
        self.query_one("#images-bar", ProgressBar).update(total=100, progress=0)
        self.query_one("#images-label", Static).update(f"{image_doing(event.action)} "
                                                       f"{len(event.images)} image(s)")
        for image in event.images:
            key = f"image:{image}"
            if key not in self.rows:
                self.rows[key] = Row(IMAGES_GROUP, image, order=(-1, 1, len(self.rows)))
            self.rows[key].state = "waiting"

    @show_event.register
    def _show_image_progress(self, event: ev.ImageProgress) -> None:
        from wizard.frontends.images import size_text

        self.query_one("#images-bar", ProgressBar).update(progress=event.percent)
        doing = image_doing(event.action)
        amount = (f"step {event.overall_current} of {event.overall_total}" if event.action == "build"
                  else f"{size_text(event.overall_current)} of {size_text(event.overall_total)}")
        self.query_one("#images-label", Static).update(f"{doing}: {amount}")
        row = self.rows.get(f"image:{event.image}")
        if row is not None and event.total:
            row.state = f"{doing} {event.current * 100 // event.total}%"

    @show_event.register
    def _show_image_done(self, event: ev.ImageDone) -> None:
        from wizard.frontends.images import size_text

        row = self._row(f"image:{event.image}", IMAGES_GROUP, event.image)
        row.state = image_done_symbol(event.action) + (f" {size_text(event.size)}" if event.size else "")

    @show_event.register
    def _show_image_failed(self, event: ev.ImageFailed) -> None:
        row = self._row(f"image:{event.image}", IMAGES_GROUP, event.image)
        row.state = "✗ failed"
        self.log_line(f"✗ {event.image}: {event.reason}")

    @show_event.register
    def _show_finished(self, event: ev.Finished) -> None:
        self.log_line(("✓ " if event.ok else "✗ ") + event.summary)

    def on_up_screen_up_stopped(self, message: UpScreen.UpStopped) -> None:
        self.done = True
        title = self.headline
        if message.error is None:
            self.app.failure = None
            title.update(f"{self.control.stack.name} is up.")
            self.action_dashboard()
            return
        from wizard.core.support.errors import LauncherError

        self.failed = True
        self.app.failure = message.error
        from wizard.core.support.redact import scrub

        text = scrub(message.error.one_line() if isinstance(message.error, LauncherError) else str(message.error))
        title.update(f"✗ {text}\nq quits; Enter shows the dashboard (healthy services keep running).")
        self.log_line(f"✗ {text}")

    # -- rendering -------------------------------------------------------------------------

    def _row(self, key: str, group: str, name: str) -> Row:
        if key not in self.rows:
            group_order = next((row.order[0] for row in self.rows.values() if row.group == group), len(self.rows))
            kind = 2 if key.startswith("step:") else 1
            self.rows[key] = Row(group, name, order=(group_order, kind, len(self.rows)))
        return self.rows[key]

    def _step_group(self, step_name: str) -> str:
        for step in self.control.stack.steps:
            if step.name == step_name:
                return step.after
        return INIT_GROUP

    def render_rows(self) -> None:
        """Rebuild the table from the rows (a few dozen at most), in group order."""
        table = self.progress_table
        now = self.clock()
        table.clear()
        for key, row in sorted(self.rows.items(), key=lambda item: item[1].order):
            label = row.name or "(group)"
            table.add_row(row.group, label, row.state, row.time_text(now) if row.state != "waiting" else "",
                          key=key)

    def log_line(self, text: str) -> None:
        self.log_pane.write_line(text)

    def log_lines(self, lines) -> None:
        self.log_pane.write_lines(list(lines))

    # -- keys -----------------------------------------------------------------------------

    def action_dashboard(self) -> None:
        if not self.done:
            return
        if self.then == "back":
            self.dismiss(not self.failed)
        else:
            self.app.show_dashboard(instead=True)

    def action_quit(self) -> None:
        self.app.finish()
