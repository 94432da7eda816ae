"""The words for what `up` changes and why (ServiceChange, RecreatingData): plain lines and the TUI's log."""

from __future__ import annotations

from wizard.core.support.events import RecreatingData, ServiceChange
from wizard.frontends.plain import renders

# What each action is called; the reasons follow in brackets.
_ACTIONS = {"create": "create", "recreate": "recreate", "scale": "scale", "rebuild": "rebuild its image",
            "start": "start", "restart": "restart", "nothing": "nothing to do"}


def change_words(event: ServiceChange) -> str:
    """One line: the service, what `up` does to it, and why (config keys, never values)."""
    action = _ACTIONS.get(event.action, event.action)
    if event.action == "scale":
        return f"{event.service}: scale {event.replicas} -> {event.wanted}"
    if event.action == "create" and event.wanted > 1:
        action += f" {event.wanted} containers"
    if event.action in ("recreate", "rebuild") and event.reasons:
        return f"{event.service}: {action} ({', '.join(event.reasons)} changed)"
    if event.action == "start" and event.reasons:
        return f"{event.service}: {action} (it is {event.reasons[0]})"
    if event.reasons:
        return f"{event.service}: {action} ({', '.join(event.reasons)})"
    return f"{event.service}: {action}"


def recreating_data_words(event: RecreatingData) -> str:
    return (f"{event.service} keeps its volume(s) {', '.join(event.volumes)} across the recreate, as they are; "
            "`launcher upgrade` makes the same change with a snapshot first and an automatic rollback")


@renders(ServiceChange)
def _service_change(event: ServiceChange) -> list[str]:
    return [f"  {change_words(event)}"]


@renders(RecreatingData)
def _recreating_data(event: RecreatingData) -> list[str]:
    return [f"  note: {recreating_data_words(event)}"]
