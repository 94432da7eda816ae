"""Events of `launcher upgrade`; the front ends turn them into lines or JSON."""

from __future__ import annotations

from dataclasses import dataclass

from wizard.core.support.events import Event


@dataclass(frozen=True)
class UpgradeStep(Event):
    """One step of the upgrade begins: snapshot, copy, switch, recreate, rollback or finish."""

    step: str
    detail: str


@dataclass(frozen=True)
class UpgradeRolledBack(Event):
    """A step failed after the switch: the previous images, config and volumes run again."""

    failed: str  # the one line saying what failed
    services: tuple[str, ...]
    snapshot: str
    kept_volumes: tuple[str, ...]


@dataclass(frozen=True)
class VolumeKept(Event):
    """A rollback kept a volume its journal named: the engine does not show it as this run's, or something uses it."""

    volume: str
    reason: str  # "foreign", "earlier" or "in-use" (upgrade/evidence.py)
