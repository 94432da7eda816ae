"""The words of `launcher ls` and `launcher gc`: one line per instance on this machine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from wizard.frontends.images import size_text

if TYPE_CHECKING:
    from wizard.core.lifecycle.instances import InstanceRow


def render_instances(rows: Sequence[InstanceRow], *, engine: bool) -> str:
    """An aligned table: name, state, ports, volume disk use, last up, folder."""
    if not rows:
        return "no instance on this machine yet: `launcher init` in a stack's folder registers one"
    table = [["INSTANCE", "STATE", "PORTS", "VOLUMES", "LAST UP", "FOLDER"]]
    for row in rows:
        ports = ",".join(str(port) for port in sorted(row.ports.values())) or "-"
        state = row.state if row.folder_ok or row.stale else f"{row.state}, folder not its checkout"
        table.append([row.name, state if engine else "?", ports,
                      size_text(row.volume_bytes), row.last_up.replace("T", " ").rstrip("Z") or "never",
                      row.folder])
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]) - 1)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)) + "  " + line[-1] for line in table]
    if not engine:
        lines.append("(no Docker engine answers: states and disk use unknown)")
    stale = [row.name for row in rows if row.stale]
    if stale:
        lines.append(f"{len(stale)} stale instance(s): `launcher gc` removes what they left")
    return "\n".join(line.rstrip() for line in lines)


def render_gc(doomed: Sequence[InstanceRow], astray: Sequence[InstanceRow], *, volumes: bool) -> str:
    """What `gc` would remove, instance by instance, and the instances it keeps although their folder is wrong."""
    lines = []
    for row in doomed:
        held = [f"{len(row.containers)} container(s)", f"{len(row.networks)} network(s)",
                f"{len(row.volumes)} volume(s) ({size_text(row.volume_bytes)}){'' if volumes else ', kept'}"]
        lines.append(f"{row.name}  {row.state}  {row.folder}")
        lines.append(f"  holds {', '.join(held)}")
        lines.extend(f"  {kind}: {', '.join(names)}" for kind, names in
                     (("containers", row.containers), ("networks", row.networks), ("volumes", row.volumes)) if names)
    for row in astray:
        lines.append(f"{row.name}: kept, it runs though its folder {row.folder} is not its checkout (moved?); "
                     "`launcher status` in its folder updates the registry")
    return "\n".join(lines) or "no stale instance: nothing to clean"
