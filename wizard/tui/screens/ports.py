"""Step 3: published ports (checked live on 127.0.0.1), URLs and the other settings."""

from __future__ import annotations

from dataclasses import dataclass

from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import get_current_worker

from wizard.core.lifecycle.initsession import PortStatus
from wizard.core.manifest.kinds.settings import setting_kind
from wizard.frontends.words import PORT_STATES
from wizard.tui.screens.step import StepScreen
from wizard.tui.widgets.setting_field import SettingField

CHECK_DELAY = 0.3  # seconds of quiet typing before a port is checked again


class PortsScreen(StepScreen):
    STEP_TITLE = "Ports and settings"

    @dataclass
    class PortsChecked(Message):
        """Every port's status from one live check."""

        statuses: list[PortStatus]

    def __init__(self, session, place) -> None:
        super().__init__(session, place)
        self._pending_check: Timer | None = None

    def body(self) -> ComposeResult:
        session = self.session
        # The block the ports stand in: every port moved by one offset from its default (none when mixed).
        offsets = {int(session.settings.get(spec.name, "")) - int(spec.default) for spec in session.port_settings()
                   if str(session.settings.get(spec.name, "")).isdigit() and (spec.default or "").isdigit()}
        block = f", block +{offsets.pop()}" if len(offsets) == 1 and 0 not in offsets else ""
        sections = ((f"Ports on {session.ports_host()} for instance {session.stack.project}{block}, checked as you type",
                     session.port_settings()),
                    ("URLs", session.url_settings()),
                    ("Other settings", session.other_settings()))
        for title, specs in sections:
            if specs:
                yield Static(title, classes="section")
                for spec in specs:
                    yield SettingField(spec, session.settings.get(spec.name, ""))

    def on_mount(self) -> None:
        fields = self.query(SettingField)
        if fields:
            fields.first(SettingField).editor.focus()
        for name, problem in self.session.setting_problems().items():
            self._field(name).show(problem, problem=True)
        self.check_ports()

    def on_descendant_focus(self, event) -> None:
        for node in event.widget.ancestors_with_self:
            if isinstance(node, SettingField):
                spec = node.spec
                default = f" (default {spec.default})" if spec.default not in (None, "") else ""
                self.show_help(f"{spec.name}: {spec.description or spec.kind}{default}")
                return

    def on_setting_field_edited(self, event: SettingField.Edited) -> None:
        field = event.field
        problem = self.session.set_setting(field.spec.name, event.value)
        is_port = setting_kind(field.spec).is_port
        if problem or not is_port:
            field.show(problem, problem=bool(problem))
        if is_port:
            if self._pending_check is not None:
                self._pending_check.stop()
            self._pending_check = self.set_timer(CHECK_DELAY, self.check_ports)

    @work(thread=True, exclusive=True, group="port-check", exit_on_error=False)
    def check_ports(self) -> None:
        """Bind-test every port (and ask Docker who holds a busy one) off the UI thread."""
        statuses = self.session.port_statuses()
        if not get_current_worker().is_cancelled:
            self.post_message(self.PortsChecked(statuses))

    def on_ports_screen_ports_checked(self, message: PortsScreen.PortsChecked) -> None:
        for status in message.statuses:
            field = self._field(status.setting)
            text = f"{PORT_STATES[status.status].tui} {status.detail}"
            field.show(text, problem=status.status != "ok", suggestion=status.suggestion)

    def ready_to_leave(self) -> bool:
        problems = self.session.setting_problems()
        if not problems:
            return True
        name, reason = next(iter(problems.items()))
        field = self._field(name)
        field.show(reason, problem=True)
        field.editor.focus()
        self.notify(f"{name} {reason}", title="Fix this first", severity="error", markup=False)
        return False

    def _field(self, name: str) -> SettingField:
        return self.query_one(f"#setting-{name}", SettingField)
