"""Opening the SQLite file safely and keeping its shape: migrations, FTS, views.

A file that is not SQLite is refused before anything is written to it, so a
mistyped `--db` can never damage another file.
"""

from __future__ import annotations

import importlib
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from .errors import DatabaseError
from .schema import MIGRATION_SETS
from .views import VIEWS

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_SECONDS = 30

# Modules that declare tables of their own; importing them registers their migrations.
TABLE_OWNERS = ("harvester.links.history", "harvester.findings", "harvester.enrich.store", "harvester.acceptances")

FTS_CONFIG: dict[str, list[str]] = {
    "entries": ["noted_title", "notes"],
    "papers": ["title", "abstract"],
}


def check_sqlite_file(path: Path) -> None:
    """Refuse, without writing, a path that exists and is not an SQLite database."""
    if path.is_dir():
        raise DatabaseError(f"{path} is a directory, not a database file")
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as error:
        raise DatabaseError(f"cannot read database {path}: {error.strerror}") from error
    if header != SQLITE_HEADER:
        raise DatabaseError(f"{path} is not an SQLite database")


def open_db(path: Path | str, *, migrate: bool = True) -> Database:
    """Open (creating on demand) the database at `path`, in WAL mode, migrated."""
    path = Path(path)
    check_sqlite_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)
        db = Database(connection)
        if db.journal_mode != "wal":
            db.enable_wal()
        db.execute("PRAGMA foreign_keys = ON")
        if migrate:
            apply_migrations(db)
    except sqlite3.DatabaseError as error:
        raise DatabaseError(f"cannot use database {path}: {error}") from error
    return db


def open_readonly(path: Path | str) -> sqlite3.Connection:
    """A connection that cannot write: for `query`, `search` and exports."""
    path = Path(path)
    check_sqlite_file(path)
    if not path.exists():
        raise DatabaseError(f"no database at {path}: run `harvester import` or `harvester refresh` first")
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_SECONDS)
        connection.execute("PRAGMA query_only = ON")
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as error:
        raise DatabaseError(f"cannot read database {path}: {error}") from error
    return connection


def apply_migrations(db: Database) -> None:
    for owner in TABLE_OWNERS:
        try:
            importlib.import_module(owner)
        except ModuleNotFoundError as error:
            # An owner not written yet is fine; a broken import inside one is not.
            if error.name is None or not owner.startswith(error.name):
                raise
    for migrations in MIGRATION_SETS:
        migrations.apply(db)


def ensure_db_shape(db: Database) -> None:
    """Idempotent: full-text indexes and views, applied at the end of every write command."""
    for table, columns in FTS_CONFIG.items():
        if db[table].exists() and not db[table].detect_fts():
            db[table].enable_fts(columns, create_triggers=True, tokenize="porter")
    existing = set(db.view_names())
    tables = set(db.table_names())
    for name, (needs, sql) in VIEWS.items():
        if not needs <= tables:
            continue
        current = db.execute("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?", [name]).fetchone()
        wanted = f"CREATE VIEW {name} AS {sql.strip()}"
        if name in existing and current and current[0] == wanted:
            continue
        with db.atomic():
            if name in existing:
                db.execute(f"DROP VIEW {name}")
            db.execute(wanted)
