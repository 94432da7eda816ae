"""What a translation kept, changed, dropped, and what is left for the user to do by hand.

Core code records facts (which service, which key, why); the front ends word them.
Nothing here ever holds a value: a secret is named, never shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Item:
    """One fact about the translation: ``where`` is "service postgres" or "stack", ``what`` the key."""

    where: str
    what: str
    why: str

    def to_dict(self) -> dict[str, str]:
        return {"where": self.where, "what": self.what, "why": self.why}


@dataclass
class TranslationReport:
    """Everything one export or deploy translation decided, in the order it decided it."""

    target: str  # "swarm" | "kubernetes"
    translated: list[Item] = field(default_factory=list)  # kept, in another form
    dropped: list[Item] = field(default_factory=list)  # left out: the target rejects or ignores it
    manual: list[Item] = field(default_factory=list)  # what the user must do by hand
    files: list[str] = field(default_factory=list)  # written, relative to the output folder

    def changed(self, where: str, what: str, why: str) -> None:
        self._add(self.translated, Item(where, what, why))

    def drop(self, where: str, what: str, why: str) -> None:
        self._add(self.dropped, Item(where, what, why))

    def todo(self, where: str, what: str, why: str) -> None:
        self._add(self.manual, Item(where, what, why))

    @staticmethod
    def _add(items: list[Item], item: Item) -> None:
        if item not in items:
            items.append(item)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "files": list(self.files),
            "translated": [item.to_dict() for item in self.translated],
            "dropped": [item.to_dict() for item in self.dropped],
            "manual": [item.to_dict() for item in self.manual],
        }
