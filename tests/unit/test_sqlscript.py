"""The psql-compatible splitter: every construct pg_dump writes, cut where psql cuts."""

from __future__ import annotations

import pytest

from wizard.core.seeds.postgres.splitter import (
    MetaCommand,
    ScriptError,
    Statement,
    is_copy_from_stdin,
    meta_command_refusal,
    split_script,
)


def sqls(text: str) -> list[str]:
    return [item.sql for item in split_script(text) if isinstance(item, Statement)]


def test_plain_statements_with_lines_and_trailing_statement_without_semicolon():
    items = split_script("-- intro\nSELECT 1;\n\nSELECT\n  2;\nSELECT 3")
    assert [(item.sql, item.line) for item in items] == [("SELECT 1;", 2), ("SELECT\n  2;", 4), ("SELECT 3", 6)]


@pytest.mark.parametrize("tag", ["$$", "$body$", "$_x1$", "$ünï$"])
def test_dollar_quoted_bodies_keep_their_semicolons(tag):
    body = f"CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS {tag}\nBEGIN\n  PERFORM 1; RETURN 2;\nEND;\n{tag};"
    assert sqls(body + "\nSELECT 1;") == [body, "SELECT 1;"]


def test_nested_dollar_tags_and_dollar_in_identifiers_and_parameters():
    body = "CREATE FUNCTION f() RETURNS text AS $outer$ SELECT $inner$;$inner$; $outer$ LANGUAGE sql;"
    assert sqls(body) == [body]
    assert sqls("SELECT a$b, $1; SELECT 2;") == ["SELECT a$b, $1;", "SELECT 2;"]


def test_strings_identifiers_and_escape_strings():
    text = """SELECT 'a;''b', "we;""ird", E'it\\'s;', e'\\\\';SELECT 2;"""
    assert sqls(text) == ["""SELECT 'a;''b', "we;""ird", E'it\\'s;', e'\\\\';""", "SELECT 2;"]


def test_a_word_ending_in_e_before_a_quote_is_not_an_escape_string():
    # `WHERE'...` is the keyword WHERE then a standard string: a backslash in it is literal.
    assert sqls("SELECT 1 WHERE'\\' = '\\';SELECT 2;") == ["SELECT 1 WHERE'\\' = '\\';", "SELECT 2;"]


def test_standard_conforming_strings_off_makes_backslash_escape():
    text = "SET standard_conforming_strings = off;\nSELECT 'it\\'s;';\nSELECT 2;"
    assert sqls(text)[1:] == ["SELECT 'it\\'s;';", "SELECT 2;"]


def test_comments_line_and_nested_block():
    text = "SELECT 1 -- not; here\n;\n/* outer /* inner; */ still; */ SELECT 2;"
    assert sqls(text) == ["SELECT 1 -- not; here\n;", "/* outer /* inner; */ still; */ SELECT 2;"]


def test_parentheses_hold_semicolons_like_rule_actions():
    rule = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));"
    assert sqls(rule + "SELECT 1;") == [rule, "SELECT 1;"]


def test_begin_atomic_bodies_with_case_end():
    body = ("CREATE OR REPLACE FUNCTION public.add(a integer) RETURNS integer\n    LANGUAGE sql\n    BEGIN ATOMIC\n"
            " SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;\n SELECT a;\nEND;")
    assert sqls(body + "\nSELECT 1;") == [body, "SELECT 1;"]


def test_begin_outside_a_routine_is_a_transaction_statement():
    assert sqls("BEGIN; SELECT 1; COMMIT;") == ["BEGIN;", "SELECT 1;", "COMMIT;"]


def test_copy_from_stdin_carries_its_data_until_backslash_dot():
    text = "COPY public.t (a, b) FROM stdin;\n1\tx;y\n2\t\\N\n\\.\nSELECT 'after';\n"
    copy, after = split_script(text)
    assert copy.sql == "COPY public.t (a, b) FROM stdin;"
    assert copy.copy_data == "1\tx;y\n2\t\\N\n"
    assert (copy.line, copy.data_line) == (1, 2)
    assert (after.sql, after.line) == ("SELECT 'after';", 5)


def test_empty_copy_block_and_copy_running_to_end_of_file():
    empty, rest = split_script("COPY t FROM stdin;\n\\.\nCOPY u FROM stdin;\n1\n")
    assert empty.copy_data == ""
    assert rest.copy_data == "1\n"


def test_copy_data_that_looks_like_sql_is_not_split():
    (copy,) = split_script("COPY t FROM stdin;\n'unterminated; $$ /*\n\\.\n")
    assert copy.copy_data == "'unterminated; $$ /*\n"


def test_is_copy_from_stdin():
    assert is_copy_from_stdin("/* c */ copy t (a) FROM STDIN WITH (FORMAT csv);")
    assert not is_copy_from_stdin("COPY t TO stdout;")
    assert not is_copy_from_stdin("SELECT 'copy x from stdin';")


def test_meta_commands_are_items_with_lines():
    items = split_script("\\restrict KEY123\nSELECT 1;\n\\connect other\n\\unrestrict KEY123\n")
    assert items[0] == MetaCommand("restrict", "KEY123", 1)
    assert items[2] == MetaCommand("connect", "other", 3)
    assert meta_command_refusal(items[0]) == ""
    assert "\\connect" in meta_command_refusal(items[2])
    assert meta_command_refusal(MetaCommand("set", "ON_ERROR_STOP 1", 1)) == ""
    assert meta_command_refusal(MetaCommand("set", "x 1", 1))
    assert meta_command_refusal(MetaCommand("i", "other.sql", 1))


def test_meta_command_inside_a_statement_is_an_error_with_its_line():
    with pytest.raises(ScriptError) as caught:
        split_script("SELECT 1,\n2 \\gexec\n")
    assert caught.value.line == 2


@pytest.mark.parametrize("text,line,what", [
    ("SELECT 1;\nSELECT 'open;\n", 2, "quoted string"),
    ('SELECT "open;\n', 1, "quoted identifier"),
    ("SELECT 1;\n\nCREATE FUNCTION f() AS $x$ body;", 3, "dollar-quoted"),
    ("/* open /* nested */ still open", 1, "comment"),
])
def test_unterminated_constructs_name_the_line_they_open_on(text, line, what):
    with pytest.raises(ScriptError) as caught:
        split_script(text)
    assert caught.value.line == line
    assert what in caught.value.message


def test_first_words_skip_comments():
    (statement,) = split_script("/* hi */ Start Transaction;")
    assert statement.first_words == ("start", "transaction")


def test_pg_dump_preamble_set_config_lines():
    text = ("SET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n"
            "SET check_function_bodies = false;\n")
    assert sqls(text) == ["SET statement_timeout = 0;", "SELECT pg_catalog.set_config('search_path', '', false);",
                          "SET check_function_bodies = false;"]


def test_large_script_splits_every_statement():
    row = "INSERT INTO t VALUES (1, 'text; with ''quotes''', E'esc\\'d', $$dollar;$$);\n"
    items = split_script(row * 40000)  # about 3 MB; tests/bench/bench_seeds.py times it against psql
    assert len(items) == 40000
    assert items[-1].line == 40000
