"""Step 2: the groups that start, what each needs, and the optional profiles."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from wizard.tui.screens.step import StepScreen
from wizard.tui.widgets.profile_list import ProfileList


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
