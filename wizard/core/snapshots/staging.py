"""Replacing live stores so that nothing is destroyed before the replacement is proven.

A ``Replacement`` collects, for each store it replaces, how to put the old one back and
how to let it go. Each store is first set aside (a database renamed, never dropped), its
replacement created under the live name; only when every store was replaced does
``commit`` drop what was set aside. ``rollback`` (any failure) puts every old store back
under its name, newest first. `snapshot restore` uses it for PostgreSQL databases; an
upgrade that rebuilds stores can use the same steps.

A process killed half way leaves the old store set aside under a name of its own (see
``postgres.aside_name``): the next run of the same operation keeps that copy as the one
to go back to and replaces whatever stands under the live name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from wizard.core.snapshots import postgres


@dataclass
class Replacement:
    """Old stores kept aside until ``commit``; ``rollback`` gives them their names back."""

    _undo: list[Callable[[], None]] = field(default_factory=list)
    _release: list[Callable[[], None]] = field(default_factory=list)

    def add(self, set_aside: Callable[[], None], put_back: Callable[[], None], let_go: Callable[[], None]) -> None:
        """Set one store aside now; remember how to undo that and how to drop it once all is proven."""
        set_aside()
        self._undo.append(put_back)
        self._release.append(let_go)

    def database(self, target: postgres.PgTarget, container: str, dump: Iterable[bytes]) -> None:
        """Replace one PostgreSQL database by a custom-format dump, keeping the old one aside."""
        self.add(lambda: postgres.set_aside(target, container), lambda: postgres.put_back(target, container),
                 lambda: postgres.drop_aside(target, container))
        postgres.restore(target, container, dump)

    def commit(self) -> None:
        for let_go in self._release:
            let_go()
        self._undo.clear()
        self._release.clear()

    def rollback(self) -> list[BaseException]:
        """Put every store back; the failures of doing so (each tried regardless) are returned."""
        failures: list[BaseException] = []
        for put_back in reversed(self._undo):
            try:
                put_back()
            except Exception as exc:  # noqa: BLE001 - the others must still be put back
                failures.append(exc)
        self._undo.clear()
        self._release.clear()
        return failures
