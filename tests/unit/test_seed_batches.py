"""Seed statements go to the server in batches; a COPY, and any file with its own savepoints, one at a time."""

from __future__ import annotations

import hashlib

from wizard.core.seeds.postgres import apply as postgres
from wizard.core.seeds.postgres import runfile
from wizard.core.seeds.postgres import seedfile as seedscript


def script(tmp_path, text: str):
    path = tmp_path / "seed.sql"
    path.write_text(text)
    seed = postgres.SeedFile("seed.sql", path, hashlib.sha256(text.encode()).hexdigest())
    return seedscript.prepare(seed, {})


def batches(prepared):
    """The batches _apply_file would send, in order, when the server's setting never moves."""
    items, index = prepared.items, 0
    while index < len(items):
        batch = [index] if runfile._own_savepoints(items) else runfile._next_batch(items, index)
        yield batch
        index = batch[-1] + 1


def test_statements_are_batched_around_copy(tmp_path):
    prepared = script(tmp_path, "CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n"
                                "COPY t (id) FROM stdin;\n2\n\\.\nINSERT INTO t VALUES (3); -- last\n")
    assert list(batches(prepared)) == [[0, 1], [2], [3]]


def test_batches_are_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(runfile, "_BATCH_STATEMENTS", 2)
    prepared = script(tmp_path, "".join(f"SELECT {n};\n" for n in range(5)))
    assert list(batches(prepared)) == [[0, 1], [2, 3], [4]]


def test_a_file_with_its_own_savepoints_runs_one_statement_at_a_time(tmp_path):
    prepared = script(tmp_path, "SAVEPOINT a;\nSELECT 1;\nROLLBACK TO a;\nSELECT 2;\n")
    assert list(batches(prepared)) == [[0], [1], [2], [3]]


def test_a_statement_ending_in_a_comment_is_still_terminated():
    joined = "\n".join(runfile._terminated(sql) for sql in ("SELECT 1 -- no semicolon", "SELECT 2;"))
    assert joined == "SELECT 1 -- no semicolon\n;\nSELECT 2;"


def test_a_statement_that_may_change_standard_conforming_strings_runs_alone(tmp_path):
    # The server parses a batch whole with the setting as it was: psql would read the next
    # statement with the new one, so the statement goes alone and the server is asked after it.
    prepared = script(tmp_path, "SELECT 1;\nSELECT set_config('standard_conforming_strings', 'off', true);\n"
                                "SELECT 2;\nSELECT 3;\nSET LOCAL standard_conforming_strings = false;\nSELECT 4;\n")
    assert list(batches(prepared)) == [[0], [1], [2, 3], [4], [5]]
