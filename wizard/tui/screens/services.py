"""Step 2: the groups that start, what each needs, and the optional profiles."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList, Static

from wizard.tui.screens.step import StepScreen


class ProfileList(OptionList):
    """Profiles as "[x] name (group)" lines: the mark is text, so it reads without colour too."""

    BINDINGS = [Binding("space,enter", "toggle", "On/off")]

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

    class Toggled(Message):
        """A profile was switched on or off."""


class ServicesScreen(StepScreen):
    STEP_TITLE = "Services"

    def body(self) -> ComposeResult:
        yield Static("Groups start in this order, each once the ones it comes after are healthy.",
                     markup=False)
        lines = []
        for group in self.session.groups():
            mark = "✗" if group.skipped else "✓"
            after = f" (after {', '.join(group.after)})" if group.after else ""
            lines.append(f"{mark} {group.name}{after}")
            if group.description:
                lines.append(f"    {group.description}")
            for path in group.requires:
                state = "missing: the group is skipped" if path in group.missing else "present"
                lines.append(f"    needs {path}: {state}")
        yield Static("\n".join(lines), id="groups", markup=False)
        profiles = self.session.all_profiles()
        if profiles:
            yield Static("Optional profiles (Space switches one on or off):", markup=False)
            yield ProfileList(profiles, self.session.profiles)
        else:
            yield Static("This stack has no optional profiles.", markup=False, classes="dim")

    def on_mount(self) -> None:
        lists = self.query(ProfileList)
        (lists.first() if lists else self.next_button).focus()
        self.show_help("Profiles chosen here apply when the stack starts from this wizard; "
                       "later, pass them to `launcher up --profile NAME`.")

    def on_profile_list_toggled(self, message: ProfileList.Toggled) -> None:
        chosen = self.query_one(ProfileList).chosen
        self.session.set_profiles([profile for _, profile in self.session.all_profiles() if profile in chosen])
