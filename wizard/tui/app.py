"""The Textual front end: the init wizard, the up-progress view and the live dashboard.

One App, three ways in (``run_init_wizard``, ``run_up``, ``run_dashboard``),
called by the command modules when ``use_tui(args)`` says a full terminal is
there. Screens only render what the core returns or yields: answers go through
``wizard.core.lifecycle.initsession``, the stack through ``wizard.tui.control``.

Blocking work (Docker, files) runs in thread workers; their results come back as
messages, and any worker that fails lands in ``LauncherApp.report_error``, the
one place errors are shown.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from textual.app import App
from textual.binding import Binding

from wizard.core.manifest.stack import Stack
from wizard.exitcodes import ExitCode
from wizard.core.lifecycle.initsession import InitSession
from wizard.tui.control import StackControl


class LauncherApp(App[int]):
    """The launcher's full-screen UI; ``start`` picks the first view.

    The app makes every move between screens (``show_step``, ``show_up``, ``show_dashboard``):
    screens ask it, and never import each other.
    """

    CSS_PATH = "launcher.tcss"
    TITLE = "launcher"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [Binding("ctrl+c", "quit_now", "Quit", show=False, priority=True)]

    def __init__(self, stack: Stack, *, start: str, session: InitSession | None = None,
                 control: StackControl | None = None) -> None:
        super().__init__()
        self.stack = stack
        self.start = start
        self.session = session
        self.control = control or StackControl(stack, profiles=session.profiles if session else ())
        self.init_result = None  # the InitResult once the wizard wrote the files
        self.failure: BaseException | None = None  # why `up` stopped, for the exit code

    def on_mount(self) -> None:
        self.title = f"launcher · {self.stack.name}"
        if self.start == "init":
            self.show_step(0)
        elif self.start == "up":
            self.show_up(then="dashboard")
        else:
            self.show_dashboard()

    # -- the wizard's steps ------------------------------------------------------------

    def show_step(self, index: int) -> None:
        """Push the wizard's step ``index`` (in ``WIZARD_STEPS`` order); the session keeps every answer."""
        from wizard.tui.screens import WIZARD_STEPS
        from wizard.tui.screens.step import StepPlace

        place = StepPlace(index, tuple(step.STEP_TITLE for step in WIZARD_STEPS))
        self.push_screen(WIZARD_STEPS[index](self.session, place))

    def next_step(self) -> None:
        """Show the step after the current one."""
        from wizard.tui.screens import WIZARD_STEPS

        index = self.screen.place.index
        if index + 1 < len(WIZARD_STEPS):
            self.show_step(index + 1)

    def previous_step(self) -> None:
        # Once written, going back could only mislead: the answers are on disk now.
        if self.init_result is None and not self.screen.place.first:
            self.pop_screen()

    def cancel_wizard(self) -> None:
        """Leave; before the Review step wrote, nothing has been written."""
        self.exit(ExitCode.CANCELLED if self.init_result is None else ExitCode.OK)

    async def start_stack(self) -> None:
        """After the wizard wrote the files: hand over to the up view, then the dashboard."""
        from wizard.tui.screens.up import UpScreen

        self.control = self.control.with_profiles(self.session.profiles)
        # The wizard's steps are done with: the up view takes the place of all of them.
        while len(self.screen_stack) > 2:
            await self.pop_screen()
        await self.switch_screen(UpScreen(self.control, then="dashboard", extra=self.session.mongo_copy))

    # -- the live views -------------------------------------------------------------------

    def show_up(self, *, then: str, on_done: Callable[[bool], None] | None = None) -> None:
        """Push the up view: ``then="dashboard"`` replaces it with the dashboard once it is done,
        ``then="back"`` returns to the screen below (calling ``on_done`` with whether all came up)."""
        from wizard.tui.screens.up import UpScreen

        self.push_screen(UpScreen(self.control, then=then), on_done)

    def show_dashboard(self, *, instead: bool = False) -> None:
        """Push the dashboard, or put it ``instead`` of the current screen (the finished up view)."""
        from wizard.tui.screens.dashboard import DashboardScreen

        screen = DashboardScreen(self.control)
        if instead:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    # -- errors, quitting ----------------------------------------------------------------

    def report_error(self, error: BaseException) -> None:
        """The one place a failed worker is shown: one line, what happened and what to do."""
        from wizard.frontends.errors import error_lines

        text = "\n".join(error_lines(error))
        self.notify(text, title="launcher", severity="error", timeout=15, markup=False)

    def action_quit_now(self) -> None:
        self.exit(ExitCode.INTERRUPTED)

    def finish(self, code: int = ExitCode.OK) -> None:
        """Quit with ``code``, or with the exit code of the failure that stopped `up`."""
        if self.failure is not None and code == ExitCode.OK:
            from wizard.exitcodes import exit_code_for

            code = exit_code_for(self.failure)
        self.exit(int(code))


# -- entry points used by the command modules ----------------------------------------------


def run_init_wizard(stack: Stack, *, answers: Mapping[str, str] | None = None,
                    profiles: Sequence[str] = ()) -> int:
    """`launcher init` in a full terminal; returns the exit code."""
    session = InitSession.start(stack, profiles=list(profiles), answers=answers)
    app = LauncherApp(stack, start="init", session=session)
    code = _run(app)
    if app.init_result is not None:
        from wizard.frontends.init_result import render_result

        print(render_result(app.init_result))
    return code


def run_up(stack: Stack, *, profiles: Sequence[str] = (), engine: Any = None, **up_options: Any) -> int:
    """`launcher up` in a full terminal: live progress, then the dashboard.

    ``up_options`` go to ``wizard.core.lifecycle.launch.up`` (only, pull, timeout, allow_demo_secrets).
    """
    control = StackControl(stack, engine=engine, profiles=profiles, up_options=up_options)
    return _run(LauncherApp(stack, start="up", control=control))


def run_dashboard(stack: Stack, *, profiles: Sequence[str] = (), engine: Any = None) -> int:
    """`launcher status` / `launcher dashboard` in a full terminal."""
    return _run(LauncherApp(stack, start="dashboard",
                            control=StackControl(stack, engine=engine, profiles=profiles)))


def _run(app: LauncherApp) -> int:
    code = app.run()
    if app.failure is not None:
        # The screen showed it; the terminal keeps a line once the app is gone.
        from wizard.frontends.errors import report

        return int(report(app.failure))
    if code is None:  # Textual's own quit (ctrl+q): a wizard left before writing is a cancel
        return ExitCode.CANCELLED if app.start == "init" and app.init_result is None else ExitCode.OK
    return int(code)
