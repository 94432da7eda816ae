"""Words for `snapshot` and `reset`: percentage lines, the snapshot table, the interrupted-restore note."""

from __future__ import annotations

from typing import Any, Sequence

from wizard.core.support.events import Event, Finished
from wizard.core.snapshots.events import (GroupsCleared, PartDone, PartProgress, RestoreInterrupted,
                                          ServicesNotCovered, ServicesStopped, SnapshotsPruned, StorePutBack)
from wizard.frontends.images import size_text
from wizard.frontends.plain import render_event, renders

VERBS = {"save": "saving", "verify": "verifying", "restore": "restoring", "copy": "copying"}


def render_snapshot_event(event: Event, *, verb: str = "") -> list[str]:
    """An event of `snapshot save|restore` or `reset`: their Finished says what was saved or restored."""
    if isinstance(event, Finished) and verb == "save":
        details = event.details
        sealed = ", encrypted" if details.get("encrypted") else ""
        return [f"snapshot {details['name']} saved in {details['path']} ({size_text(details['size'])}, "
                f"{len(details['parts'])} parts{sealed}, {event.elapsed:.1f}s)"]
    if isinstance(event, Finished) and verb == "restore":
        return [f"snapshot {event.details['name']} restored; the stack is healthy ({event.elapsed:.1f}s)"]
    if isinstance(event, Finished) and verb == "abandon":
        return [f"the restore of snapshot {event.details['abandoned']} was undone: every store set aside is back "
                f"in its place; the stack is healthy ({event.elapsed:.1f}s)"]
    return render_event(event)


@renders(PartProgress)
def _part_progress(event: PartProgress) -> list[str]:
    moved = f" ({size_text(event.done)})" if event.done else ""
    return [f"[{event.percent:3d}%] {VERBS.get(event.action, event.action)} {event.part}{moved}"]


@renders(PartDone)
def _part_done(event: PartDone) -> list[str]:
    return [f"[{event.percent:3d}%] {event.part}: {size_text(event.size)} {event.action}d"
            if event.action != "save" else f"[{event.percent:3d}%] {event.part}: {size_text(event.size)} saved"]


@renders(ServicesStopped)
def _services_stopped(event: ServicesStopped) -> list[str]:
    return [f"stopped {', '.join(event.services)} while their data is "
            f"{'copied' if event.why == 'save' else 'replaced'}"]


@renders(ServicesNotCovered)
def _services_not_covered(event: ServicesNotCovered) -> list[str]:
    return [f"not in the snapshot: {', '.join(event.services)} (no volume: files kept inside a container "
            "are not saved; give the service a volume for data that must survive)"]


@renders(SnapshotsPruned)
def _snapshots_pruned(event: SnapshotsPruned) -> list[str]:
    return [f"removed old snapshot(s): {', '.join(event.names)}"]


@renders(GroupsCleared)
def _groups_cleared(event: GroupsCleared) -> list[str]:
    gone = f": {', '.join(event.volumes)}" if event.volumes else ""
    return [f"removed {event.containers} container(s) and {len(event.volumes)} volume(s) of "
            f"{', '.join(event.groups)}{gone}"]


def verify_line(done: int, total: int) -> str:
    return f"[{done * 100 // max(total, 1):3d}%] verifying checksums ({size_text(done)} of {size_text(total)})"


@renders(RestoreInterrupted)
def render_interrupted(event: RestoreInterrupted) -> list[str]:
    lines = [f"restore of snapshot {event.snapshot} interrupted; where each part stands:"]
    lines += [f"  {part}: {state}" for part, state in event.states.items()]
    lines.append(f"to finish: run `launcher snapshot restore {event.snapshot}` again (it starts over and "
                 "replaces every store); to undo: `launcher snapshot restore --abandon` (until then `up` refuses)")
    return lines


@renders(StorePutBack)
def _store_put_back(event: StorePutBack) -> list[str]:
    where = f" of service {event.service}" if event.service else ""
    return [f"put back {event.kind} {event.name}{where} as it was before the restore"]


def unfinished_lines(unfinished: dict[str, Any] | None) -> list[str]:
    """`status` and `ls`: a restore that stopped half way, what stands aside, and the two ways out."""
    if not unfinished:
        return []
    databases = unfinished.get("aside_databases")
    aside = [f"database {name}" for name in databases or []] + [f"volume {name}" for name in
                                                                 unfinished.get("aside_volumes") or []]
    held = ", ".join(aside) if aside else "nothing yet"
    if databases is None:
        held += " (databases not asked: `launcher status` in the stack's folder asks while they run)"
    return [f"restore of snapshot {unfinished['snapshot']} unfinished (since {unfinished['started']}, "
            f"{unfinished['file']}); set aside: {held}",
            f"  finish it: `launcher snapshot restore {unfinished['snapshot']}`; undo it: "
            "`launcher snapshot restore --abandon`"]


def removed_line(name: str) -> str:
    return f"removed snapshot {name}"


def last_snapshot_line(last: dict[str, Any] | None) -> str:
    if not last:
        return "last snapshot: none yet (`launcher snapshot save`)"
    return f"last snapshot: {last['name']}, taken {last['created']}"


def render_list(rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return "no snapshots yet (make one with `launcher snapshot save`)"
    table = [["NAME", "WHEN", "SIZE", "PARTS", "ENCRYPTED"]]
    for row in rows:
        if row.get("problem"):
            table.append([row["name"], "-", "-", "-", f"INVALID: {row['problem']}"])
            continue
        table.append([row["name"], str(row.get("created") or "-"), size_text(row["size"]), str(len(row["parts"])),
                      "yes" if row["encrypted"] else "no"])
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in table)


class ProgressBars:
    """A rich progress bar per part, for a real terminal; every other event prints as its lines."""

    def __init__(self, verb: str, console=None, render=None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

        self.verb = verb
        # Every other event's lines: a snapshot's words unless the command has its own (upgrade).
        self.render = render or (lambda event: render_snapshot_event(event, verb=verb))
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                                 console=console or Console(), transient=False)
        self.tasks: dict[str, int] = {}

    def __enter__(self) -> "ProgressBars":
        self.progress.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.progress.stop()

    def show(self, event: Event) -> None:
        if isinstance(event, PartProgress):
            if event.part not in self.tasks:
                self.tasks[event.part] = self.progress.add_task(f"{VERBS.get(event.action, event.action)} {event.part}",
                                                                total=event.total or None)
            self.progress.update(self.tasks[event.part], completed=event.done)
        elif isinstance(event, PartDone) and event.part in self.tasks:
            self.progress.update(self.tasks[event.part], total=event.size, completed=event.size)
        else:
            for line in self.render(event):
                self.progress.console.print(line, markup=False, highlight=False)
