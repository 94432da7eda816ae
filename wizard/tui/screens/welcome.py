"""Step 1: what `launcher init` will do, and that a re-run keeps every value."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from wizard.tui.screens.step import StepScreen


class WelcomeScreen(StepScreen):
    STEP_TITLE = "Welcome"

    def body(self) -> ComposeResult:
        session = self.session
        stack = session.stack
        yield Static(f"Set up [b]{stack.name}[/b]", classes="title")
        if stack.description:
            yield Static(stack.description, markup=False, classes="dim")
        new = sum(1 for row in session.secrets() if row.origin == "new")
        lines = [
            "This wizard asks a few questions, then writes:",
            *(f"  • {path}" for path in session.outputs()),
            f"It generates {new} secret(s); nothing starts until you say so at the end.",
        ]
        yield Static("\n".join(lines), markup=False)
        if session.existed:
            yield Static("A setup exists already: a re-run keeps every value. Only what you "
                         "change here changes; secrets stay unless you regenerate one.",
                         markup=False, classes="note")
        yield Static("Keys: ctrl+n next, ctrl+p back, Tab moves between fields, "
                     "Escape leaves without writing anything.", markup=False, classes="dim")

    def on_mount(self) -> None:
        self.next_button.focus()
