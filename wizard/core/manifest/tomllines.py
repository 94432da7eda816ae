"""Where a table or key stands in a TOML text: tomllib gives no positions for values."""

from __future__ import annotations

import re


class LineFinder:
    """Finds the line of a table or key in the manifest text.

    tomllib gives no positions for values, so errors about content are located by
    scanning for the table header and then the key inside that table.
    """

    _HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")

    def __init__(self, text: str) -> None:
        self.headers: list[tuple[int, tuple[str, ...]]] = []
        self.lines = text.split("\n")  # as tomllib counts lines: not at U+2028, VT, FF...
        for number, line in enumerate(self.lines, start=1):
            match = self._HEADER.match(line)
            if match:
                self.headers.append((number, self._split(match.group(1))))

    @staticmethod
    def _split(dotted: str) -> tuple[str, ...]:
        parts = re.findall(r'"([^"]*)"|\'([^\']*)\'|([^.\s]+)', dotted)
        return tuple(next(p for p in part if p) if any(part) else "" for part in parts)

    def line_of(self, table: tuple[str, ...], key: str | None = None) -> int | None:
        for index, (number, path) in enumerate(self.headers):
            if path != table:
                continue
            if key is None:
                return number
            end = self.headers[index + 1][0] if index + 1 < len(self.headers) else len(self.lines) + 1
            key_pattern = re.compile(rf"^\s*(\"{re.escape(key)}\"|{re.escape(key)})\s*=")
            for line_number in range(number + 1, end):
                if key_pattern.match(self.lines[line_number - 1]):
                    return line_number
            return number
        return None
