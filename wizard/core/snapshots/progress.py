"""Byte counting for progress events, shared by save, verify and restore."""

from __future__ import annotations

from typing import Iterable, Iterator

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


def counted(chunks: Iterable[bytes], counter: list[int]) -> Iterator[bytes]:
    """Pass chunks through, adding their sizes to counter[0]."""
    for data in chunks:
        counter[0] += len(data)
        yield data
