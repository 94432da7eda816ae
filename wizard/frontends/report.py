"""The translation report of `launcher export` and `launcher up --target swarm`, as plain lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wizard.core.export.report import TranslationReport

TITLES = (("translated", "Translated"), ("dropped", "Dropped (the target rejects or ignores it)"),
          ("manual", "To do by hand"))


def render_report(report: TranslationReport, folder: str = "") -> str:
    lines = []
    if folder:
        lines.append(f"wrote {len(report.files)} file(s) to {folder}: {', '.join(report.files)}")
    for attribute, title in TITLES:
        items = getattr(report, attribute)
        lines.append(f"{title}: {len(items)}")
        lines.extend(f"  {item.where}: {item.what} — {item.why}" for item in items)
    return "\n".join(lines)
