"""One setting on one line: its name, an editor that fits its kind, and what is wrong or busy."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static

from wizard.core.manifest.kinds.settings import setting_kind
from wizard.core.manifest.stack import SettingSpec


class SettingField(Horizontal):
    """Editor for one setting. Posts ``Edited`` on every change; the screen validates."""

    @dataclass
    class Edited(Message):
        """The value in ``field``'s editor changed to ``value`` (not yet validated)."""

        field: SettingField
        value: str

    def __init__(self, spec: SettingSpec, value: str) -> None:
        super().__init__(id=f"setting-{spec.name}", classes=f"setting kind-{spec.kind}")
        self.spec = spec
        self.value = value
        self.suggestion: int | None = None

    def compose(self) -> ComposeResult:
        spec = self.spec
        yield Label(spec.name, classes="setting-name")
        kind = setting_kind(spec)
        choices = kind.choices or spec.choices
        if choices:
            # A Select shows its value as text, which stays readable under NO_COLOR (a Switch does not).
            yield Select([(choice, choice) for choice in choices], value=self.value if self.value in choices
                         else choices[0], allow_blank=False, classes="setting-editor", compact=True)
        else:
            restrict = r"\d*" if kind.digits_only else None
            editor = Input(self.value, restrict=restrict, max_length=5 if kind.is_port else 0,
                           classes="setting-editor", compact=True)
            editor.cursor_blink = False  # a steady cursor: same picture every time, calmer in tmux
            yield editor
        yield Static("", classes="setting-status", markup=False)
        if kind.is_port:
            yield Button("use", classes="use-suggestion", compact=True)

    @property
    def editor(self) -> Input | Select:
        """The Input or Select that edits the value."""
        return self.query_one(".setting-editor")  # type: ignore[return-value]

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._edited(event.value)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._edited(str(event.value))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if self.suggestion is not None:
            # Setting the Input's value posts Input.Changed, which reports the edit.
            self.query_one(Input).value = str(self.suggestion)

    def _edited(self, value: str) -> None:
        if value != self.value:
            self.value = value
            self.post_message(self.Edited(self, value))

    def show(self, text: str, *, problem: bool = False, suggestion: int | None = None) -> None:
        """What to say next to the editor; a port with a free alternative gets a "use N" button."""
        status = self.query_one(".setting-status", Static)
        status.update(text)
        status.set_class(problem, "problem")
        self.suggestion = suggestion
        buttons = self.query(".use-suggestion")
        if buttons:
            button = buttons.first(Button)
            button.label = f"use {suggestion}" if suggestion is not None else "use"
            button.display = suggestion is not None
