"""What every launcher screen shares: worker failures go to the app's one error handler."""

from __future__ import annotations

from textual.screen import Screen
from textual.worker import Worker, WorkerState


class LauncherScreen(Screen):
    """A screen whose thread workers report failures in one place (``LauncherApp.report_error``)."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.app.report_error(event.worker.error)
