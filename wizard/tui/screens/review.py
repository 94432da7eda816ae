"""Step 6: the files that will be written and what changes; write; then offer to start."""

from __future__ import annotations

from dataclasses import dataclass

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, DataTable, Static

from wizard.frontends.init_result import added_line
from wizard.frontends.words import FILE_ACTIONS
from wizard.tui.screens.step import StepScreen
from wizard.tui.widgets.tables import fill_table


FILE_COLUMNS = (("File", "path"), ("Action", "action"), ("Details", "details"))


class ReviewScreen(StepScreen):
    STEP_TITLE = "Review"
    NEXT_LABEL = "Write files"
    BINDINGS = [Binding("ctrl+n", "next", "Write files", priority=True)]

    @dataclass
    class Previewed(Message):
        """What writing would change (an ``InitResult`` with nothing written yet)."""

        result: object

    @dataclass
    class Written(Message):
        """The files are written: the ``InitResult``."""

        result: object

    def body(self) -> ComposeResult:
        yield Static(self._summary(), id="summary", markup=False)
        table = DataTable(id="files", cursor_type="row", show_cursor=False)
        fill_table(table, FILE_COLUMNS, {})
        yield table
        with Horizontal(id="start-now"):
            yield Static("Files written. Start the stack now?", markup=False)
            yield Button("Start now", id="start", variant="success", compact=True)
            yield Button("Not now", id="finish", compact=True)

    def on_mount(self) -> None:
        self.query_one("#start-now").display = False
        self.next_button.focus()
        self.preview()

    def _summary(self) -> str:
        session = self.session
        lines = []
        changed = session.changed_settings()
        if changed:
            lines.append("Settings changed: " + ", ".join(f"{name} {before or '(empty)'} → {after or '(empty)'}"
                                                          for name, (before, after) in changed.items()))
        else:
            lines.append("Settings: " + ("as they were" if session.existed else "the defaults"))
        counts: dict[str, int] = {}
        for row in session.secrets():
            counts[row.origin] = counts.get(row.origin, 0) + 1
        lines.append("Secrets: " + ", ".join(f"{count} {origin}" for origin, count in counts.items()))
        if session.profiles:
            lines.append(f"Profiles: {', '.join(session.profiles)}")
        if session.mongo_source:
            lines.append(f"MongoDB data: database {session.mongo_db} copied once the stack is up")
        return "\n".join(lines)

    @work(thread=True, exclusive=True, group="files", exit_on_error=False)
    def preview(self) -> None:
        self.post_message(self.Previewed(self.session.preview()))

    @work(thread=True, exclusive=True, group="files", name="write", exit_on_error=False)
    def write(self) -> None:
        self.post_message(self.Written(self.session.write()))

    def on_review_screen_previewed(self, message: ReviewScreen.Previewed) -> None:
        self._show_changes(message.result)

    def on_review_screen_written(self, message: ReviewScreen.Written) -> None:
        self.app.init_result = message.result
        self._show_changes(message.result)
        written = sum(1 for change in message.result.changes if change.changes)
        self.show_help(f"Wrote {written} file(s). Secrets are in .launcher/values.env (mode 0600).")
        self.query_one("#nav").display = False
        self.query_one("#start-now").display = True
        self.query_one("#start", Button).focus()
        self.refresh_bindings()

    def _show_changes(self, result) -> None:
        added = added_line(result)
        self.query_one("#summary", Static).update(self._summary() + (f"\n{added}" if added else ""))
        fill_table(self.query_one("#files", DataTable), FILE_COLUMNS,
                   {change.path: (change.path, FILE_ACTIONS[change.action].tui, "; ".join(change.details()))
                    for change in result.changes})

    def action_next(self) -> None:
        """Write: the only step that touches the disk."""
        if self.app.init_result is None:
            self.next_button.disabled = True
            self.write()

    def on_worker_state_changed(self, event) -> None:
        super().on_worker_state_changed(event)
        if event.worker.name == "write" and event.worker.is_finished and self.app.init_result is None:
            self.next_button.disabled = False

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            event.stop()
            # After this handler: the app removes this screen while starting the stack.
            self.app.call_later(self.app.start_stack)
        elif event.button.id == "finish":
            event.stop()
            self.app.exit(0)
        else:
            super().on_button_pressed(event)
