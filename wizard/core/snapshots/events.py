"""Events of snapshot save, verify and restore; the front ends turn them into lines or JSON."""

from __future__ import annotations

from dataclasses import dataclass, field

from wizard.core.support.events import Event


@dataclass(frozen=True)
class PartProgress(Event):
    """Work on one part: ``percent`` is of the whole command, ``done`` bytes of this part so far."""

    action: str  # "save" | "verify" | "restore"
    part: str
    percent: int
    done: int
    total: int = 0  # bytes of this part when known in advance (restore), else 0


@dataclass(frozen=True)
class PartDone(Event):
    action: str
    part: str
    percent: int
    size: int


@dataclass(frozen=True)
class ServicesStopped(Event):
    """Services stopped so their stores can be copied or replaced consistently."""

    services: tuple[str, ...]
    why: str  # "save" | "restore"


@dataclass(frozen=True)
class ServicesNotCovered(Event):
    """Services whose data a snapshot cannot hold: no dump covers them and they mount no volume."""

    services: tuple[str, ...]


@dataclass(frozen=True)
class RestoreInterrupted(Event):
    """Ctrl-C during a restore: where every part stands, so the user knows how to finish."""

    states: dict[str, str] = field(default_factory=dict)  # part -> "restored" | "in progress" | "not started"
    snapshot: str = ""


@dataclass(frozen=True)
class SnapshotsPruned(Event):
    """Old snapshots removed by --keep."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class GroupsCleared(Event):
    """`reset` removed these groups' containers and volumes; `up` follows."""

    groups: tuple[str, ...]
    containers: int
    volumes: tuple[str, ...]


@dataclass(frozen=True)
class StorePutBack(Event):
    """`snapshot restore --abandon` gave a store set aside its place back."""

    kind: str  # "database" | "volume"
    name: str
    service: str = ""
