"""Words of `launcher upgrade`: the plan, each step, the rollback and the end."""

from __future__ import annotations

from wizard.core.support.events import Event, Finished
from wizard.core.upgrade.events import UpgradeRolledBack, UpgradeStep, VolumeKept
from wizard.core.upgrade.plan import room_short
from wizard.frontends.images import size_text
from wizard.frontends.plain import render_event, renders
# The snapshot taken first and the major move's copy report their parts as a snapshot does.
from wizard.frontends.snapshots import ProgressBars


def progress_bars() -> ProgressBars:
    """Bars for the copy in a real terminal; every other event as its lines."""
    return ProgressBars("upgrade", render=render_upgrade_event)


INTERRUPTED = ("an earlier upgrade was interrupted: `launcher upgrade` rolls it back first (previous images, "
               "config and volumes), then upgrades again")


def render_plan(plan) -> str:
    if plan.empty:
        return "nothing to upgrade: every service runs the image and config its compose files name"
    lines = [f"{change.service}: {change.old} -> {change.new}" for change in plan.images]
    lines += [f"{change.service}: config changes ({', '.join(change.keys)})" for change in plan.configs]
    lines += [f"{change.service}: PostgreSQL {change.old_major} -> {change.new_major} (data volume {change.volume}: "
              f"dumped, restored into a new volume; the old one is kept; needs {size_text(change.needed_bytes)} "
              f"of disk, {size_text(change.free_bytes)} free)" for change in plan.majors]
    short = room_short(plan)
    return "\n".join(lines + ([short] if short else []))


def render_stopped(services: list[str]) -> str:
    return (f"{', '.join(services)} not running: the upgrade copies from the old server, so `launcher upgrade` "
            "first starts it as the last `up` ran it (image, config and volume), then plans")


def render_kept(volumes: list[str]) -> str:
    """The old volumes an earlier upgrade kept, which this one removes once it succeeds."""
    return f"\nonce it succeeds, removes old volume(s) {', '.join(volumes)}, kept by the upgrade before" if volumes else ""


def render_upgrade_event(event: Event) -> list[str]:
    """An upgrade event; its Finished names the new volumes and the old ones kept."""
    if isinstance(event, Finished):
        details = event.details
        if not details:
            return [event.summary]
        lines = [f"upgraded {', '.join(details['services'])} ({event.elapsed:.1f}s)"]
        lines += [f"old volume {name} kept: `launcher upgrade --finish` removes it" for name in details["old_volumes"]]
        lines += [f"removed old volume {name}, kept by the upgrade before" for name in details.get("removed_volumes", [])]
        if details.get("snapshot"):
            lines.append(f"snapshot taken before the upgrade: {details['snapshot']}")
        return lines
    return render_event(event)


@renders(UpgradeStep)
def _step(event: UpgradeStep) -> list[str]:
    return [f"upgrade: {event.step}: {event.detail}"]


@renders(UpgradeRolledBack)
def _rolled_back(event: UpgradeRolledBack) -> list[str]:
    kept = f"; old volume(s) kept: {', '.join(event.kept_volumes)}" if event.kept_volumes else ""
    snapshot = f"; snapshot: {event.snapshot}" if event.snapshot else ""
    return [f"rolled back {', '.join(event.services)} to their previous images ({event.failed}){kept}{snapshot}"]


KEPT_BECAUSE = {
    "foreign": "its labels do not show an upgrade of this stack made it",
    "earlier": "its labels do not show this upgrade made it (it was there before, or an older launcher made it)",
    "in-use": "a container uses it",
}


@renders(VolumeKept)
def _volume_kept(event: VolumeKept) -> list[str]:
    return [f"kept volume {event.volume}, named by the upgrade's journal: {KEPT_BECAUSE.get(event.reason, event.reason)}"
            " — `docker volume rm` it once you know it is not needed"]
