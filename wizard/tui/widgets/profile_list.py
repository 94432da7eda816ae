"""The optional profiles as a list to switch on and off, one line each."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList


class ProfileList(OptionList):
    """Profiles as "[x] name (group)" lines: the mark is text, so it reads without colour too."""

    BINDINGS = [Binding("space,enter", "toggle", "On/off")]

    class Toggled(Message):
        """A profile was switched on or off (``chosen`` holds them all)."""

    def __init__(self, profiles: list[tuple[str, str]], chosen: list[str]) -> None:
        self.profiles = profiles
        self.chosen = set(chosen)
        super().__init__(*(self._prompt(group, profile) for group, profile in profiles), id="profiles")

    def _prompt(self, group: str, profile: str) -> str:
        return f"[{'x' if profile in self.chosen else ' '}] {profile}  ({group})"

    def action_toggle(self) -> None:
        if self.highlighted is None:
            return
        group, profile = self.profiles[self.highlighted]
        self.chosen ^= {profile}
        self.replace_option_prompt_at_index(self.highlighted, self._prompt(group, profile))
        self.post_message(self.Toggled())
