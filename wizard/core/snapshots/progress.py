"""Byte counting for the restore's progress events."""

from __future__ import annotations

STEP = 5  # percent between two progress events of one part


class Meter:
    """Counts bytes against an expected total and says when the shown percentage moved."""

    def __init__(self, total: int) -> None:
        self.total = max(total, 1)
        self.done = 0
        self.shown = -STEP

    @property
    def percent(self) -> int:
        return min(100, self.done * 100 // self.total)

    def add(self, count: int) -> bool:
        self.done += count
        if self.percent - self.shown >= STEP:
            self.shown = self.percent
            return True
        return False
