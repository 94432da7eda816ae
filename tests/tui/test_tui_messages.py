"""Every message the TUI posts has a handler: Textual drops a message whose handler name matches nothing.

A message nested in the widget or screen that posts it gets a namespaced handler name
(``DashboardScreen.RowsRead`` is handled by ``on_dashboard_screen_rows_read``), so a
rename of the message, of its poster or of the handler would silently stop a screen.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from textual.message import Message
from textual.message_pump import MessagePump

import wizard.tui


def _tui_classes():
    for info in pkgutil.walk_packages(wizard.tui.__path__, "wizard.tui."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__:
                yield cls
                yield from (inner for inner in vars(cls).values() if inspect.isclass(inner))


def test_every_tui_message_has_a_handler():
    classes = set(_tui_classes())
    messages = {cls for cls in classes if issubclass(cls, Message)}
    handlers = {name for cls in classes if issubclass(cls, MessagePump) for name in vars(cls)}

    assert len(messages) >= 11  # the dashboard's, the up view's, the wizard steps' and widgets' messages
    unhandled = sorted(message.__qualname__ for message in messages if message.handler_name not in handlers)
    assert unhandled == []


def test_every_tui_message_with_fields_is_a_dataclass():
    """Messages declare their fields (posting's style) rather than assigning them in ``__init__``."""
    messages = [cls for cls in set(_tui_classes()) if issubclass(cls, Message)]

    hand_written = sorted(cls.__qualname__ for cls in messages if "__init__" in vars(cls)
                          and not hasattr(cls, "__dataclass_fields__"))
    assert hand_written == []
