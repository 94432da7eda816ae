"""The docs' screenshots: scenes of the TUI snapshot tests, rendered by Textual into SVG.

Each picture is a scene of tests/tui/scenes.py (the same stacks, fixed secrets, scripted
engine and waits the snapshot tests use) photographed with pytest-textual-snapshot's
own machinery (``textual._doc.take_svg_screenshot``), at a size that reads well on a page.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator
from unittest import mock

from tests.tui import scenes

# Wider than the snapshot tests' 80x24: a page has the room, and the dashboard's URL column fits.
SIZE = (100, 28)


@dataclass(frozen=True)
class Picture:
    """One screenshot: the window title it carries and its scene (the app, and what runs before the shot)."""

    title: str
    scene: Callable[[Path], tuple[Any, Callable]]


def _wizard_at(step: int, *keys: str) -> Callable[[Path], tuple[Any, Callable]]:
    return lambda folder: (scenes.wizard_app(scenes.wizard_stack_in(folder)), scenes.at_step(step, *keys))


def _dashboard(run_before: Callable, script: Callable = lambda engine: engine) -> Callable:
    def scene(folder: Path):
        stack = scenes.live_stack_in(folder)
        return scenes.dashboard_app(stack, script(scenes.scripted_engine(stack))), run_before
    return scene


# File name under docs/images/ -> picture. wizard.svg and dashboard.svg are named by the README.
PICTURES = {
    "wizard.svg": Picture("launcher init", _wizard_at(2)),  # ports and settings, one port busy
    "dashboard.svg": Picture("launcher dashboard", _dashboard(lambda pilot: scenes.until_rows(pilot, 2))),
    "dashboard-logs.svg": Picture("launcher dashboard",
                                  _dashboard(scenes.logs_of_second_row, scenes.worker_unhealthy)),
}


@contextmanager
def _a_machine_of_its_own(folder: Path) -> Iterator[None]:
    """What the tests' conftest gives every test, for a render outside pytest too: an empty
    instance registry (another instance of the stack would change the title and the ports),
    nothing remembered by the secret masker, and colour even where NO_COLOR is set."""
    from wizard.core.support import redact

    environ = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    environ["XDG_STATE_HOME"] = str(folder / "state")
    with mock.patch.dict(os.environ, environ, clear=True), \
            mock.patch.object(redact, "_known", set()), mock.patch.object(redact, "_pieces", set()):
        yield


def render(name: str) -> str:
    """The SVG of one picture, rendered now (in a fresh temporary copy of its stack)."""
    from textual._doc import take_svg_screenshot

    picture = PICTURES[name]
    with tempfile.TemporaryDirectory(prefix="launcher-docs-") as temporary:
        folder = Path(temporary)
        with _a_machine_of_its_own(folder):
            app, run_before = picture.scene(folder)
            return take_svg_screenshot(app=app, title=picture.title, terminal_size=SIZE, run_before=run_before)
