"""Step 4: every secret, masked; reveal one, or regenerate one (with the JWTs it signs)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from wizard.core.support.redact import mask
from wizard.tui.screens.step import StepScreen
from wizard.tui.widgets.confirm import Confirm

ORIGIN_WORDS = {"kept": "kept", "imported": "imported", "given": "given", "new": "new",
                "regenerated": "regenerated", "re-signed": "re-signed"}
VALUE_WIDTH = 30


class SecretsScreen(StepScreen):
    STEP_TITLE = "Secrets"
    BINDINGS = [
        Binding("v", "reveal", "Reveal/hide"),
        Binding("g", "regenerate", "Regenerate"),
        # Shown in the screen's text when it applies, not in the footer.
        Binding("d", "replace_demo", "Replace demo values", show=False),
    ]

    def __init__(self, session, place) -> None:
        super().__init__(session, place)
        self.revealed: set[str] = set()

    def body(self) -> ComposeResult:
        yield Static("New secrets are generated now and written as shown; kept and imported "
                     "values stay as they are.", markup=False)
        demo = self.session.demo_secrets()
        if demo:
            yield Static(f"Published demo values: {', '.join(demo)} — press d to replace them all "
                         "(the keys they sign are re-signed).", id="demo-values", markup=False)
        table = DataTable(id="secrets", cursor_type="row", zebra_stripes=True)
        table.add_column("Secret", key="name")
        table.add_column("Kind", key="kind")
        table.add_column("Origin", key="origin", width=11)
        table.add_column("Value", key="value", width=VALUE_WIDTH)
        for row in self.session.secrets():
            table.add_row(row.name, row.kind, ORIGIN_WORDS[row.origin], mask(row.value), key=row.name)
        yield table

    @property
    def secrets_table(self) -> DataTable:
        return self.query_one("#secrets", DataTable)

    def on_mount(self) -> None:
        self.secrets_table.focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_row_help(event.row_key.value)

    def _show_row_help(self, name: str) -> None:
        spec = self.session.stack.secret(name)
        text = f"{name}: {spec.description or spec.kind} — {self.session.describe_secret(spec)}"
        if name in self.revealed:
            text += f"\n{self.session.secret_value(name)}"
        self.show_help(text)

    def _selected(self) -> str:
        table = self.secrets_table
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def action_reveal(self) -> None:
        name = self._selected()
        self.revealed ^= {name}
        self._refresh_rows([name])

    def action_regenerate(self) -> None:
        name = self._selected()
        if not self.session.replaces_existing(name):
            self._regenerate(name)
            return
        question = (f"{name} already has a value that a running stack may use (a database keeps its "
                    "password). Generate a new one anyway?")
        self.app.push_screen(Confirm(question, yes="Regenerate", no="Keep"),
                             lambda yes: self._regenerate(name) if yes else None)

    def action_replace_demo(self) -> None:
        changed = self.session.replace_demo()
        if changed:
            self._refresh_rows(changed)
            self.query_one("#demo-values", Static).update("Demo values replaced.")
            self.notify(f"replaced {', '.join(changed)}", markup=False)

    def _regenerate(self, name: str) -> None:
        changed = self.session.regenerate(name)
        self._refresh_rows(changed)
        also = [other for other in changed if other != name]
        self.notify(f"{name} regenerated" + (f"; re-signed {', '.join(also)}" if also else ""), markup=False)

    def _refresh_rows(self, names: list[str]) -> None:
        table = self.secrets_table
        rows = {row.name: row for row in self.session.secrets()}
        for name in names:
            row = rows[name]
            shown = row.value if name in self.revealed else mask(row.value)
            table.update_cell(name, "origin", ORIGIN_WORDS[row.origin])
            table.update_cell(name, "value", _fit(shown))
        # The help line of the row under the cursor may show a value that just changed.
        self._show_row_help(self._selected())


def _fit(text: str) -> str:
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "…"
