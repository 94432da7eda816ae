"""Typed reading of the manifest's TOML tables: each wrong field becomes one problem at its file:line.

``stack._Validator`` builds on this to turn the tables into a Stack.
"""

from __future__ import annotations

from typing import Any

from wizard.core.support.errors import ConfigError, LauncherError
from wizard.core.manifest.tomllines import LineFinder


class ManifestReader:
    """Reads typed fields out of the manifest's TOML data, collecting every problem with its file:line."""

    def __init__(self, display: str, text: str, data: dict[str, Any]) -> None:
        self.display = display
        self.data = data
        self.lines = LineFinder(text)
        self.problems: list[LauncherError] = []

    def problem(self, message: str, hint: str, table: tuple[str, ...] = (), key: str | None = None) -> None:
        line = self.lines.line_of(table, key) if table else None
        where = f"{self.display}:{line}" if line else self.display
        self.problems.append(ConfigError(message, hint, where=where))

    # -- typed field readers -------------------------------------------------

    def text(self, table: tuple[str, ...], raw: dict[str, Any], key: str, default: str | None = "") -> str | None:
        value = raw.get(key, default)
        if value is None or isinstance(value, str):
            return value
        self.problem(f"{'.'.join(table)}.{key} must be a string, not {_type_name(value)}",
                     f'write {key} = "..."', table, key)
        return default

    def integer(self, table: tuple[str, ...], raw: dict[str, Any], key: str, default: int = 0) -> int:
        value = raw.get(key, default)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        self.problem(f"{'.'.join(table)}.{key} must be a whole number, not {_type_name(value)}",
                     f"write {key} = 32 (no quotes)", table, key)
        return default

    def names(self, table: tuple[str, ...], raw: dict[str, Any], key: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return tuple(value)
        self.problem(f"{'.'.join(table)}.{key} must be a list of strings",
                     f'write {key} = ["a", "b"]', table, key)
        return ()

    def table(self, key: str) -> dict[str, Any]:
        value = self.data.get(key, {})
        if isinstance(value, dict):
            return value
        self.problem(f"[{key}] must be a table", f"write it as [{key}.NAME] sections", ())
        return {}

    def entries(self, key: str) -> list[tuple[str, dict[str, Any]]]:
        result = []
        for name, raw in self.table(key).items():
            if isinstance(raw, dict):
                result.append((name, raw))
            else:
                self.problem(f"{key}.{name} must be a table", f"write it as a [{key}.{name}] section",
                             (key,), name)
        return result

    def unknown_keys(self, table: tuple[str, ...], raw: dict[str, Any], allowed: set[str]) -> None:
        for key in raw:
            if key not in allowed:
                self.problem(f"unknown key {key!r} in [{'.'.join(table)}]",
                             f"expected one of: {', '.join(sorted(allowed))}", table, key)


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)
