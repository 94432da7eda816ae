"""The frame of every wizard step: where you are, the step's body, Back and Next."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Static

from wizard.core.lifecycle.initsession import InitSession
from wizard.tui.screens.base import LauncherScreen


@dataclass(frozen=True)
class StepPlace:
    """Where a step stands: its index in the wizard's list of steps, and every step's title in order."""

    index: int
    titles: tuple[str, ...]

    @property
    def first(self) -> bool:
        return self.index == 0


class StepScreen(LauncherScreen):
    """One step of the init wizard. Answers live in the session, so Back and Next lose nothing.

    The order of the steps is ``wizard.tui.screens.WIZARD_STEPS``; the app, which moves
    between them, tells each step its place.
    """

    STEP_TITLE = ""  # the step's name in the header
    NEXT_LABEL = "Next"
    BINDINGS = [
        Binding("ctrl+n", "next", "Next", priority=True),
        Binding("ctrl+p", "back", "Back", priority=True),
        Binding("escape", "cancel", "Cancel (writes nothing)"),
        Binding("escape", "done", "Done"),
    ]

    def __init__(self, session: InitSession, place: StepPlace) -> None:
        super().__init__()
        self.session = session
        self.place = place

    def compose(self) -> ComposeResult:
        place = self.place
        steps = "  ".join(f"[b]{title}[/b]" if index == place.index else title
                          for index, title in enumerate(place.titles))
        yield Static(f"{place.index + 1}/{len(place.titles)}  {steps}", id="step-header")
        with VerticalScroll(id="step-body"):
            yield from self.body()
        yield Static("", id="help", markup=False)
        with Horizontal(id="nav"):
            yield Button("Cancel", id="cancel", compact=True)
            if not place.first:
                yield Button("Back", id="back", compact=True)
            yield Button(self.NEXT_LABEL, id="next", variant="primary", compact=True)
        yield Footer()

    def body(self) -> ComposeResult:
        """The step's own widgets."""
        yield from ()

    @property
    def next_button(self) -> Button:
        return self.query_one("#next", Button)

    def show_help(self, text: str) -> None:
        """One or two lines about what has the focus (descriptions, hints)."""
        self.query_one("#help", Static).update(text)

    def ready_to_leave(self) -> bool:
        """Whether Next may go on; a step with invalid answers says why and returns False."""
        return True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {"next": self.action_next, "back": self.action_back, "cancel": self.action_cancel}
        if event.button.id in actions:
            event.stop()
            actions[event.button.id]()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        # Once the files are written there is nothing left to go back to or cancel: only Done.
        written = self.app.init_result is not None
        if action in ("next", "back", "cancel"):
            return not written
        if action == "done":
            return written
        return True

    def action_done(self) -> None:
        self.app.exit(0)

    def action_next(self) -> None:
        if self.ready_to_leave():
            self.app.next_step()

    def action_back(self) -> None:
        self.app.previous_step()

    def action_cancel(self) -> None:
        self.app.cancel_wizard()
