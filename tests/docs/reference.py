"""The docs' reference pages made from the code: the command reference and the bundled stack's graph."""

from __future__ import annotations

from typing import Callable

# Page (relative to the repository root) -> what renders it.
PAGES: dict[str, Callable[[], str]] = {}
