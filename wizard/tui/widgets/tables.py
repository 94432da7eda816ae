"""Filling a DataTable with columns exactly as wide as their widest cell."""

from __future__ import annotations

from typing import Mapping, Sequence

from rich.cells import cell_len
from textual.widgets import DataTable


def fill_table(table: DataTable, columns: Sequence[tuple[str, str]], rows: Mapping[str, Sequence[str]]) -> None:
    """Replace a table's columns and rows; each column as wide as its label or widest cell.

    DataTable measures auto-width columns on an idle after rows change, and a frame can
    show the header at the old widths under rows at the new ones. Widths given with the
    columns make every frame consistent (and the snapshot tests deterministic).
    """
    table.clear(columns=True)
    for index, (label, key) in enumerate(columns):
        width = max([cell_len(label), *(cell_len(cells[index]) for cells in rows.values())])
        table.add_column(label, key=key, width=width)
    for key, cells in rows.items():
        table.add_row(*cells, key=key)
