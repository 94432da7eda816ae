"""The words of `launcher status`: the table of services and the last snapshot, once or redrawn."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from wizard.frontends.plain import render_status
from wizard.frontends.snapshots import last_snapshot_line

if TYPE_CHECKING:
    from wizard.core.lifecycle.status import ServiceStatus
    from wizard.core.targets.swarmtasks import NodeReport


def render_status_screen(rows: Sequence[ServiceStatus], stack: str, last: dict | None, *,
                         redraw_every: float | None = None, nodes: Sequence[NodeReport] | None = None) -> str:
    """`launcher status`: the table, the swarm's nodes (on Swarm) and the last snapshot; with
    ``redraw_every`` (a watch in a terminal) it starts by clearing the screen, so each refresh
    replaces the last."""
    text = render_status(rows, stack=stack) + "\n"
    if nodes:
        text += "\n".join(render_node(node) for node in nodes) + "\n"
    text += last_snapshot_line(last)
    if redraw_every is None:
        return text
    # Home + clear screen, then the table: one redraw, no scrolling history.
    return "\x1b[H\x1b[2J" + text + f"\n(every {redraw_every:g}s, Ctrl-C to stop)"


def render_node(node: NodeReport) -> str:
    """One swarm node: `node NAME (ID, manager) ready: keeps the data of postgres; runs web`; a node
    that is down says what it held and what to do."""
    role = ", manager" if node.manager else ""
    line = f"node {node.hostname or node.id} ({node.id[:12]}{role}) {node.state}"
    parts = []
    if node.pinned:
        parts.append(f"keeps the data of {', '.join(node.pinned)}")
    if node.held:
        parts.append(f"{'runs' if node.state == 'ready' else 'held'} {', '.join(node.held)}")
    if parts:
        line += ": " + "; ".join(parts)
    if node.state != "ready":
        line += (" — start its Docker engine again (or `docker node rm` it and move the data's label, "
                 "with the volumes, to another node); services pinned to it wait for it")
    return line
