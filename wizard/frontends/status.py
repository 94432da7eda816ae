"""The words of `launcher status`: the table of services and the last snapshot, once or redrawn."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from wizard.frontends.plain import render_status
from wizard.frontends.snapshots import last_snapshot_line

if TYPE_CHECKING:
    from wizard.core.lifecycle.status import ServiceStatus


def render_status_screen(rows: Sequence[ServiceStatus], stack: str, last: dict | None, *,
                         redraw_every: float | None = None) -> str:
    """`launcher status`: the table and the last snapshot; with ``redraw_every`` (a watch in a
    terminal) it starts by clearing the screen, so each refresh replaces the last."""
    text = render_status(rows, stack=stack) + "\n" + last_snapshot_line(last)
    if redraw_every is None:
        return text
    # Home + clear screen, then the table: one redraw, no scrolling history.
    return "\x1b[H\x1b[2J" + text + f"\n(every {redraw_every:g}s, Ctrl-C to stop)"
