"""Step 5: where data comes from: an optional MongoDB to copy from, and the seeds that apply."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Input, Static

from wizard.core.manifest.kinds import MONGO, POSTGRES
from wizard.tui.screens.step import StepScreen

SEED_TITLES = {POSTGRES: "Postgres seeds", MONGO: "Mongo seeds"}


class DataScreen(StepScreen):
    STEP_TITLE = "Data"

    def body(self) -> ComposeResult:
        session = self.session
        if session.has_mongo():
            yield Static("Copy MongoDB data from another server (optional)", classes="section")
            yield Static("A connection string used once, when the stack starts from this wizard. "
                         "It stays in memory: never written to any file.", markup=False, classes="dim")
            source = Input(session.mongo_source, password=True, id="mongo-source", compact=True,
                           placeholder="mongodb://user:password@host:27017/dbname — empty: no copy")
            db = Input(session.mongo_db, id="mongo-db", compact=True,
                       placeholder="database to copy (default: the one in the URI)")
            for editor in (source, db):
                editor.cursor_blink = False  # a steady cursor: same picture every time
                yield editor
            yield Static("", id="mongo-problem", markup=False, classes="problem")
        for seeds in session.seed_lists():
            title = SEED_TITLES[seeds.database]
            yield Static(f"{title} ({seeds.step}, from {seeds.folder})", classes="section", markup=False)
            if seeds.problem:
                text = seeds.problem
            elif seeds.files:
                text = "\n".join(f"  {path}" for path in seeds.files)
                text += "\nEach applies once, tracked by checksum; files applied earlier are skipped."
            else:
                text = "  no seed files"
            yield Static(text, markup=False)
        if not session.has_mongo() and not session.seed_lists():
            yield Static("This stack has no data steps.", markup=False, classes="dim")

    @property
    def mongo_source(self) -> Input:
        """The connection string to copy from (only when the stack has MongoDB)."""
        return self.query_one("#mongo-source", Input)

    def on_mount(self) -> None:
        inputs = self.query("#mongo-source")
        (inputs.first() if inputs else self.next_button).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._check()

    def _check(self) -> str:
        uri = self.mongo_source.value
        db = self.query_one("#mongo-db", Input).value
        problem = self.session.set_mongo_source(uri, db)
        self.query_one("#mongo-problem", Static).update(problem)
        return problem

    def ready_to_leave(self) -> bool:
        if self.session.has_mongo() and self._check():
            self.mongo_source.focus()
            return False
        return True
