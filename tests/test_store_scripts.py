"""Scripts run inside a migration's transaction: split into the statements SQLite sees.

`sql_statements` must cut exactly where sqlite-utils' own splitter (the reference:
every prefix tested with sqlite3.complete_statement) cuts, only faster.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlite_utils.db import _iter_complete_sql_statements as reference_statements

from harvester.store import apply_migrations, open_db, sql_statements

TRICKY = [
    "",
    "   ",
    ";",
    ";;",
    "CREATE TABLE a (x TEXT DEFAULT ';');",
    "CREATE TABLE a (x); -- a comment; with a semicolon\nCREATE TABLE b (y);",
    "CREATE TABLE a (x); /* ; */ CREATE TABLE b (y)",
    "CREATE TABLE a (x);\nCREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE a SET x = 1; DELETE FROM a; END;",
    'CREATE TABLE "semi;colon" (x);',
    "INSERT INTO a VALUES ('it''s; fine');  \n\n",
]

PIECES = st.sampled_from(
    [
        "CREATE TABLE t (x)",
        ";",
        " ",
        "\n",
        "'a;b'",
        "'",
        '"q;"',
        "-- c;\n",
        "/* ; */",
        "BEGIN",
        "END",
        "CREATE TRIGGER g AFTER INSERT ON t BEGIN DELETE FROM t; END",
        "x",
    ]
)


def test_tricky_scripts_split_as_the_reference_splits_them() -> None:
    for script in TRICKY:
        assert list(sql_statements(script)) == list(reference_statements(script)), script


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(PIECES, max_size=12).map("".join))
def test_any_script_splits_as_the_reference_splits_it(script: str) -> None:
    assert list(sql_statements(script)) == list(reference_statements(script))


def test_every_migration_runs_the_statements_the_reference_would(tmp_path: Path) -> None:
    # Every migration as a new file gets them, each script traced as it runs.
    scripts: list[str] = []
    fresh = open_db(tmp_path / "h.db", migrate=False)
    fresh._tracer = lambda sql, _params: scripts.append(sql)
    apply_migrations(fresh)
    fresh.close()
    multi = [script for script in scripts if script.count(";") > 1]
    assert multi, "the migrations ran no script of several statements"
    for script in multi:
        assert list(sql_statements(script)) == list(reference_statements(script))


def test_a_script_inside_a_transaction_is_not_committed(tmp_path: Path) -> None:
    db = open_db(tmp_path / "h.db")
    db.execute("BEGIN IMMEDIATE")
    db.executescript("CREATE TABLE kept_out (x); INSERT INTO kept_out VALUES (';');")
    assert db.execute("SELECT x FROM kept_out").fetchall() == [(";",)]
    db.conn.rollback()
    assert "kept_out" not in db.table_names()
