"""The live dashboard: every service's state, health, URL, uptime and restarts; keys act on one.

Rows come from ``wizard.core.lifecycle.status.snapshot`` in a thread worker. The refresh
cannot pile up: one worker at a time, and the next one is armed by a one-shot
timer only when the last one has finished. Restart, up and down render the
event generators of ``wizard.core.lifecycle.launch``; `s` suspends the app and hands the
terminal to a shell in the container.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Log, Static
from textual.worker import Worker

from wizard.core.lifecycle.status import NOT_CREATED, SKIPPED, ready_text
from wizard.tui.control import StackControl
from wizard.tui.widgets.tables import fill_table
from wizard.tui.screens.base import LauncherScreen
from wizard.tui.widgets.confirm import Confirm

REFRESH_SECONDS = 0.5  # health changes show within a second
RETRY_SECONDS = 2.0  # while Docker does not answer
RESTARTS_EVERY = 10  # restart counts cost one inspect per container: read them every 10th refresh
COLUMNS = (("Group", "group"), ("Service", "service"), ("State", "state"), ("Health", "health"),
           ("URL", "url"), ("Uptime", "uptime"), ("Restarts", "restarts"))


def row_key(row) -> str:
    return row.container or f"service:{row.service}"


def state_text(row) -> str:
    """The state with a mark that reads without colour: ✓ ready, ✗ down or unhealthy, … on its way,
    – not started on purpose (its group's sources are missing)."""
    if row.state == SKIPPED:
        return f"– {row.state}"
    down = row.state in ("exited", "dead", NOT_CREATED) or row.health == "unhealthy"
    mark = "✓" if row.ready else "✗" if down else "…"
    if row.state == "exited" and row.exit_code is not None:
        return f"{mark} exited {row.exit_code}"
    return f"{mark} {row.state}"


def uptime_text(seconds: float | None) -> str:
    """Short uptime: 45s, 12m, 3h, 2d."""
    if seconds is None:
        return ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def url_text(urls) -> str:
    if not urls:
        return ""
    return urls[0] + (f" +{len(urls) - 1}" if len(urls) > 1 else "")


class DashboardScreen(LauncherScreen):
    """The stack, live."""

    BINDINGS = [
        Binding("l", "logs", "Logs"),
        Binding("r", "restart", "Restart"),
        Binding("s", "shell", "Shell"),
        Binding("u", "up", "Up"),
        Binding("d", "down", "Down"),
        Binding("q", "quit", "Quit"),
    ]

    @dataclass
    class RowsRead(Message):
        """One refresh's rows, and the open log pane's tail (None when it is closed)."""

        rows: list
        logs: list[str] | None
        stale: bool = False  # a container in these rows was removed meanwhile: read again at once

    @dataclass
    class RefreshFailed(Message):
        """Docker did not answer; the title says so and the next refresh comes later."""

        error: BaseException

    @dataclass
    class ActionDone(Message):
        """A key's action (restart, down, a shell that could not start) ended: ``text`` says how."""

        text: str

    @dataclass
    class ShellReady(Message):
        """The shell the selected service's container has; the app suspends to run it."""

        service: str
        shell: str

    def __init__(self, control: StackControl, *, refresh_seconds: float = REFRESH_SECONDS) -> None:
        super().__init__()
        self.control = control
        from wizard.core.support.registry import instance_title

        self.title_text = instance_title(control.stack.project)  # the instance, and its block of ports
        self.refresh_seconds = refresh_seconds
        self.rows: dict[str, object] = {}
        self.shown: dict[str, tuple[str, ...]] = {}  # the cells on screen: an unchanged refresh redraws nothing
        self.restarts: dict[str, int] = {}  # by container, carried between the refreshes that read them
        self.refreshes = 0
        self.logs_open = False
        self.problem = ""
        self._next_refresh: Timer | None = None
        self._refreshing = False
        self._again = False  # a refresh was asked for while one was running

    def compose(self) -> ComposeResult:
        yield Static(f"{self.title_text}: reading…", id="dash-title", markup=False)
        table = DataTable(id="services", cursor_type="row", zebra_stripes=True)
        fill_table(table, COLUMNS, {})
        yield table
        yield Log(id="log-pane", auto_scroll=True)
        yield Footer()

    @property
    def services_table(self) -> DataTable:
        return self.query_one("#services", DataTable)

    @property
    def log_pane(self) -> Log:
        """The selected service's last log lines, under the table while `l` keeps it open."""
        return self.query_one("#log-pane", Log)

    @property
    def headline(self) -> Static:
        return self.query_one("#dash-title", Static)

    def on_mount(self) -> None:
        self.log_pane.display = False
        self.services_table.focus()
        self.refresh_now()

    # -- refreshing -----------------------------------------------------------------------

    def refresh_now(self) -> None:
        """Refresh as soon as possible: now when no refresh runs, else right after the one running.

        At most one refresh is ever in flight and one timer armed, so Docker calls never overlap.
        """
        if self._refreshing:
            self._again = True
            return
        if self._next_refresh is not None:
            self._next_refresh.stop()
            self._next_refresh = None
        self._refreshing = True
        self.read_rows()

    @work(thread=True, exclusive=True, group="refresh", exit_on_error=False)
    def read_rows(self) -> None:
        """One snapshot (and the open log pane's tail), off the UI thread."""
        from wizard.core.support.errors import ContainerGone, LauncherError

        try:
            rows = self.control.snapshot(restarts=self.refreshes % RESTARTS_EVERY == 0)
            container = self.selected_container() if self.logs_open else ""
            stale = False
            try:
                logs = self.control.log_tail(container) if container else None
            except ContainerGone:
                # Removed since the list (a `down` running): these rows are already stale.
                logs, stale = None, True
        except LauncherError as error:
            self.post_message(self.RefreshFailed(error))
            return
        self.post_message(self.RowsRead(rows, logs, stale))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)
        worker = event.worker
        if worker.group == "refresh" and worker.is_finished:
            # Armed only now: a slow Docker answer delays the next refresh, never doubles it.
            self._refreshing = False
            if self._again:
                self._again = False
                self.call_later(self.refresh_now)
            else:
                delay = RETRY_SECONDS if self.problem else self.refresh_seconds
                self._next_refresh = self.set_timer(delay, self.refresh_now)
        elif worker.group == "action" and worker.is_finished:
            self.refresh_now()

    def on_dashboard_screen_rows_read(self, message: DashboardScreen.RowsRead) -> None:
        self.refreshes += 1
        self.problem = ""
        for row in message.rows:
            if row.restarts is not None and row.container:
                self.restarts[row.container] = row.restarts
        self.show_rows(message.rows)
        if message.logs is not None:
            pane = self.log_pane
            pane.clear()
            pane.write_lines(message.logs)
        if message.stale:
            self.refresh_now()  # runs right after this refresh ends

    def on_dashboard_screen_refresh_failed(self, message: DashboardScreen.RefreshFailed) -> None:
        from wizard.core.support.redact import scrub

        self.problem = scrub(message.error.one_line())
        self.headline.update(f"{self.title_text}: ✗ {self.problem} (retrying)")

    def show_rows(self, rows: list) -> None:
        table = self.services_table
        new = {row_key(row): row for row in rows}
        cells = {key: self.cells(row) for key, row in new.items()}
        if cells != self.shown:
            selected = self.selected_key()
            fill_table(table, COLUMNS, cells)
            if selected in new:
                table.move_cursor(row=table.get_row_index(selected))
            self.shown = cells
        self.rows = new
        self.headline.update(f"{self.title_text}: {ready_text(rows)}")

    def cells(self, row) -> tuple[str, ...]:
        restarts = self.restarts.get(row.container)
        return (row.group, row.service, state_text(row), row.health or "—", url_text(row.urls),
                uptime_text(row.uptime), "" if restarts is None else str(restarts))

    # -- the selected row -------------------------------------------------------------------

    def selected_key(self) -> str | None:
        table = self.services_table
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def selected(self):
        key = self.selected_key()
        return self.rows.get(key) if key else None

    def selected_container(self) -> str:
        row = self.selected()
        return row.container if row is not None else ""

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.logs_open:
            row = self.selected()
            self.log_pane.border_title = f"logs: {row.service}" if row else "logs"
            self.refresh_now()

    # -- keys ---------------------------------------------------------------------------------

    def action_logs(self) -> None:
        row = self.selected()
        pane = self.log_pane
        self.logs_open = not self.logs_open and row is not None
        pane.display = self.logs_open
        if self.logs_open:
            pane.clear()
            pane.border_title = f"logs: {row.service}"
            if not row.container:
                pane.write_line(f"{row.service} has no container yet: press u to start the stack")
            self.refresh_now()

    def action_restart(self) -> None:
        row = self.selected()
        if row is None:
            return
        self.notify(f"restarting {row.service}…", markup=False)
        self.run_events(lambda: self.control.restart(row.service))

    def action_down(self) -> None:
        question = (f"Stop and remove every container of {self.control.stack.name}? "
                    "Named volumes (your data) are kept.")
        self.app.push_screen(Confirm(question, yes="Down", no="Cancel"),
                             lambda yes: self.run_events(self.control.down) if yes else None)

    def action_up(self) -> None:
        self.app.show_up(then="back", on_done=lambda _ok: self.refresh_now())

    def action_shell(self) -> None:
        row = self.selected()
        if row is None or row.state != "running":
            self.notify("a shell needs a running container", severity="warning")
            return
        self.find_shell(row.service, row.container)

    def action_quit(self) -> None:
        self.app.finish()

    @work(thread=True, exclusive=True, group="action", exit_on_error=False)
    def run_events(self, events_factory) -> None:
        """Run one of the core's event generators (restart, down); say how it ended."""
        summary = ""
        for event in events_factory():
            summary = getattr(event, "summary", "") or summary
        self.post_message(self.ActionDone(summary or "done"))

    def on_dashboard_screen_action_done(self, message: DashboardScreen.ActionDone) -> None:
        self.notify(message.text, markup=False)

    @work(thread=True, exclusive=True, group="action", exit_on_error=False)
    def find_shell(self, service: str, container: str) -> None:
        from wizard.core.support.errors import ContainerGone

        try:
            shell = self.control.shell_for(container)
        except ContainerGone:
            # The row was stale; the refresh that follows every action shows what is there now.
            self.post_message(self.ActionDone(f"{service} has no running container any more"))
            return
        self.post_message(self.ShellReady(service, shell))

    def on_dashboard_screen_shell_ready(self, message: DashboardScreen.ShellReady) -> None:
        try:
            with self.app.suspend():
                code = self.control.shell(message.service, message.shell)
        except SuspendNotSupported:
            self.notify(f"this terminal cannot hand over: run `docker compose exec {message.service} "
                        f"{message.shell}`", severity="warning", markup=False)
            return
        self.notify(f"back from {message.shell} in {message.service} (exit {code})", markup=False)
