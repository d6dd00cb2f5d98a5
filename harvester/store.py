"""Opening the SQLite file safely and keeping its shape: migrations, FTS, views.

A file is refused before anything is written to it unless it is harvester's own
database (or missing, or empty): a mistyped `--db` can never damage another file,
SQLite or not. Write transactions take the write lock when they begin, so a
second writer waits out the busy timeout instead of failing at once, and a lock
still held after it is one clear error.
"""

from __future__ import annotations

import contextlib
import enum
import importlib
import math
import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Self

from sqlite_utils import Database

from .errors import DatabaseBusy, DatabaseError, ForeignDatabase, HarvesterError
from .rawentries import register_sql_function
from .schema import APPLICATION_ID, FIRST_MIGRATION, MIGRATION_SETS, core
from .views import VIEWS

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_ENV = "HARVESTER_BUSY_TIMEOUT"
DEFAULT_BUSY_TIMEOUT_SECONDS = 30.0

# Modules that declare tables of their own; importing them registers their migrations.
TABLE_OWNERS = (
    "harvester.links.history",
    "harvester.findings",
    "harvester.enrich.store",
    "harvester.acceptances",
    "harvester.bibtex",
    "harvester.suggest.store",
)

FTS_CONFIG: dict[str, list[str]] = {
    "entries": ["noted_title", "notes"],
    "papers": ["title", "abstract"],
}


class Ownership(enum.Enum):
    NEW = "new"  # missing, empty, or an SQLite file with nothing in it yet
    OURS = "ours"
    UNSTAMPED = "unstamped"  # ours, created before harvester stamped its application id


def busy_timeout_seconds() -> float:
    """How long a command waits for another writer's lock: HARVESTER_BUSY_TIMEOUT, default 30 s."""
    text = os.environ.get(BUSY_TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_BUSY_TIMEOUT_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise HarvesterError(f"{BUSY_TIMEOUT_ENV}: expected a number of seconds, 0 or more, got {text!r}")
    return seconds


# --- recognising our file ---------------------------------------------------------------


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


def identify(path: Path) -> Ownership:
    """Whose file this is, decided without writing anything; another application's is refused."""
    check_sqlite_file(path)
    if not path.exists() or path.stat().st_size == 0:
        return Ownership.NEW
    try:
        with contextlib.closing(_peek(path)) as connection:
            application_id = connection.execute("PRAGMA application_id").fetchone()[0]
            names = [row[0] for row in connection.execute("SELECT name FROM sqlite_master")]
            migrated = _has_our_migrations(connection, names)
    except sqlite3.DatabaseError as error:
        raise DatabaseError(f"cannot read database {path}: {error}") from error
    if application_id == APPLICATION_ID:
        return Ownership.OURS
    if application_id == 0 and not names:
        return Ownership.NEW
    if application_id == 0 and migrated:
        return Ownership.UNSTAMPED
    raise ForeignDatabase(f"{path} is an SQLite database of another application; harvester will not read or change it")


def _peek(path: Path) -> sqlite3.Connection:
    # Without a -wal file beside it no connection is open and the file holds everything:
    # read it as immutable, which leaves no -wal or -shm behind in another application's folder.
    if not path.with_name(path.name + "-wal").exists():
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    return _connect_readonly(path, busy_timeout_seconds())


def _has_our_migrations(connection: sqlite3.Connection, names: Iterable[str]) -> bool:
    if "_sqlite_migrations" not in names:
        return False
    try:
        row = connection.execute(
            "SELECT 1 FROM _sqlite_migrations WHERE migration_set = ? AND name = ?", [core.name, FIRST_MIGRATION]
        ).fetchone()
    except sqlite3.OperationalError:  # a table of that name with other columns: not ours
        return False
    return row is not None


# --- connections that report a busy database -----------------------------------------------


@contextlib.contextmanager
def _reporting_busy(connection: sqlite3.Connection) -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as error:
        code = getattr(error, "sqlite_errorcode", None)
        if code is None or code & 0xFF != sqlite3.SQLITE_BUSY:
            raise
        path = getattr(connection, "db_path", "?")
        timeout = getattr(connection, "busy_timeout", DEFAULT_BUSY_TIMEOUT_SECONDS)
        raise DatabaseBusy(
            f"database {path} is busy: another process is writing to it and did not finish within "
            f"{timeout:g} s ({BUSY_TIMEOUT_ENV}); try again later"
        ) from None


class _Cursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> Self:
        with _reporting_busy(self.connection):
            return super().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> Self:
        with _reporting_busy(self.connection):
            return super().executemany(sql, parameters)

    def executescript(self, script: str, /) -> sqlite3.Cursor:
        with _reporting_busy(self.connection):
            return super().executescript(script)


class _Connection(sqlite3.Connection):
    """Every statement runs through `_Cursor`, so a lock not had in time is a DatabaseBusy."""

    db_path: Path
    busy_timeout: float

    def cursor(self, factory: Any = None) -> Any:
        return super().cursor(factory or _Cursor)

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> Any:
        return self.cursor().executemany(sql, parameters)

    def executescript(self, script: str, /) -> Any:
        return self.cursor().executescript(script)

    def commit(self) -> None:
        with _reporting_busy(self):
            super().commit()


def _connect(target: str, path: Path, timeout: float, **options: Any) -> _Connection:
    connection = sqlite3.connect(target, timeout=timeout, factory=_Connection, **options)
    connection.db_path = path
    connection.busy_timeout = timeout
    register_sql_function(connection)  # raw_xml(xml_zlib): a raw entry readable in any query
    return connection


class HarvesterDatabase(Database):
    """sqlite-utils' Database whose transactions hold the write lock from their first statement.

    A deferred transaction that read first and then writes, after another connection
    committed, fails with "database is locked" at once: SQLite cannot wait there,
    the snapshot it read is already stale. BEGIN IMMEDIATE waits for the lock instead.
    """

    @contextlib.contextmanager
    def atomic(self) -> Iterator[Database]:
        if self.conn.in_transaction:
            with super().atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise

    def begin(self) -> None:
        self.execute("BEGIN IMMEDIATE")

    def executescript(self, sql: str) -> sqlite3.Cursor:
        """The script's statements; inside a transaction one by one, so it is not committed.

        sqlite-utils splits a script by testing every prefix of it, one character longer each
        time: quadratic in the script's length, 60 ms of every new database's migrations.
        """
        if not self.conn.in_transaction:
            return super().executescript(sql)
        if self._tracer:
            self._tracer(sql, None)
        cursor = self.conn.cursor()
        for statement in sql_statements(sql):
            cursor.execute(statement)
        return cursor


def sql_statements(script: str) -> Iterator[str]:
    """Each complete statement of `script`, in order; a trailing incomplete one as it is.

    A statement can only end at a semicolon, so only the text up to each semicolon is
    tested (a semicolon inside a string, a comment or a trigger's body is not an end).
    """
    start = 0
    end = script.find(";")
    while end != -1:
        candidate = script[start : end + 1]
        if sqlite3.complete_statement(candidate):
            yield candidate.strip()
            start = end + 1
        end = script.find(";", end + 1)
    rest = script[start:].strip()
    if rest:
        yield rest


# --- opening ------------------------------------------------------------------------------


def open_db(path: Path | str, *, migrate: bool = True) -> Database:
    """Open (creating on demand) the database at `path`, in WAL mode, migrated."""
    path = Path(path)
    timeout = busy_timeout_seconds()
    identify(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # isolation_level: the transactions Python opens by itself take the write lock too.
        connection = _connect(str(path), path, timeout, isolation_level="IMMEDIATE")
    except sqlite3.DatabaseError as error:
        raise DatabaseError(f"cannot use database {path}: {error}") from error
    try:
        db = HarvesterDatabase(connection)
        if db.journal_mode != "wal":
            db.enable_wal()
        # In WAL mode NORMAL syncs at checkpoints, not at every commit: a killed process
        # loses nothing committed and the file never corrupts; only a power cut may undo
        # the last commits. FULL cost an fsync (~5 ms here) per commit on the one event
        # loop of a refresh, where every enrichment answer and link batch commits.
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        if migrate:
            apply_migrations(db)
    except sqlite3.DatabaseError as error:
        connection.close()
        raise DatabaseError(f"cannot use database {path}: {error}") from error
    except BaseException:
        connection.close()
        raise
    return db


def require_database(path: Path) -> None:
    """For commands that read what earlier ones wrote: a missing file is one line saying what makes it."""
    if not path.exists():
        raise DatabaseError(f"no database at {path}: run `harvester import` or `harvester refresh` first")


def open_readonly(path: Path | str) -> sqlite3.Connection:
    """A connection that cannot write: for `query`, `search`, `status` and exports."""
    path = Path(path)
    timeout = busy_timeout_seconds()
    identify(path)
    require_database(path)
    try:
        connection = _connect_readonly(path, timeout)
        connection.execute("PRAGMA query_only = ON")
    except sqlite3.DatabaseError as error:
        raise DatabaseError(f"cannot read database {path}: {error}") from error
    return connection


def open_scratch_copy(path: Path | str) -> Database:
    """An in-memory copy of the database at `path` (an empty one if there is none), migrated.

    For work whose results must never reach the file: `check` imports lists and
    reconciles here, so edits not yet committed leave no trace in the nightly database.
    """
    path = Path(path)
    memory = sqlite3.connect(":memory:", isolation_level="IMMEDIATE")
    try:
        if path.exists():
            with contextlib.closing(open_readonly(path)) as source:
                source.backup(memory)
        db = HarvesterDatabase(memory)
        db.execute("PRAGMA foreign_keys = ON")
        apply_migrations(db)
    except sqlite3.DatabaseError as error:
        memory.close()
        raise DatabaseError(f"cannot read database {path}: {error}") from error
    except BaseException:
        memory.close()
        raise
    return db


def _connect_readonly(path: Path, timeout: float) -> sqlite3.Connection:
    uri = path.resolve().as_uri()
    try:
        return _first_read(_connect(f"{uri}?mode=ro", path, timeout, uri=True))
    except sqlite3.OperationalError:
        if _writable(path):
            raise
    # A WAL database needs its -shm file, which a read-only filesystem or folder cannot
    # hold; nothing can write the file there either, so it is read as immutable. Unless
    # its -wal holds commits: an immutable read would silently leave them out.
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise DatabaseError(
            f"cannot read database {path}: it is in a read-only folder and {wal.name} holds changes "
            f"that need a {path.name}-shm file beside it; copy the database with its -wal file somewhere writable"
        )
    return _first_read(_connect(f"{uri}?mode=ro&immutable=1", path, timeout, uri=True))


def _first_read(connection: sqlite3.Connection) -> sqlite3.Connection:
    # Opening is lazy: a file that cannot be read fails at the first statement.
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        connection.close()
        raise
    return connection


def _writable(path: Path) -> bool:
    return os.access(path.parent, os.W_OK) and os.access(path, os.W_OK)


# --- shape ------------------------------------------------------------------------------------


def apply_migrations(db: Database) -> None:
    """Every pending migration of every set, and our application id, in one transaction."""
    _import_table_owners()
    if not _needs_migrating(db):
        return
    with db.atomic():
        # Decided again under the write lock: another process may have migrated meanwhile.
        for migrations in MIGRATION_SETS:
            migrations.apply(db)
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def _import_table_owners() -> None:
    for owner in TABLE_OWNERS:
        try:
            importlib.import_module(owner)
        except ModuleNotFoundError as error:
            # An owner not written yet is fine; a broken import inside one is not.
            if error.name is None or not owner.startswith(error.name):
                raise


def _needs_migrating(db: Database) -> bool:
    stamped = db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    return not stamped or any(migrations.pending(db) for migrations in MIGRATION_SETS)


def insert_row(db: Database, table: str, row: dict[str, Any]) -> int:
    """Insert one row into a table with an integer key; that key."""
    key = db.table(table).insert(row).last_pk
    if not isinstance(key, int):
        raise DatabaseError(f"inserting into {table} gave no row id")
    return key


def fts_update_trigger(table: str, columns: list[str]) -> str:
    """The trigger that keeps `table`'s full-text index current on UPDATE, re-indexing a row
    only when a column it indexes (or its rowid) changed.

    sqlite-utils' own trigger re-indexes on every UPDATE, and FTS5 keeps each re-index as a
    delete and an insert until its segments merge: every refresh updates every paper
    (`last_fetched`), and at 10,000 papers one refresh more than doubled papers_fts
    (benchmarks/scale). Skipping a re-index of the same text changes no search answer.
    """
    names = ", ".join(f'"{c}"' for c in columns)
    old = ", ".join(f'old."{c}"' for c in columns)
    new = ", ".join(f'new."{c}"' for c in columns)
    changed = " OR ".join(["old.rowid IS NOT new.rowid", *(f'old."{c}" IS NOT new."{c}"' for c in columns)])
    return (
        f'CREATE TRIGGER "{table}_au" AFTER UPDATE ON "{table}" WHEN {changed} BEGIN\n'
        f'  INSERT INTO "{table}_fts" ("{table}_fts", rowid, {names}) VALUES(\'delete\', old.rowid, {old});\n'
        f'  INSERT INTO "{table}_fts" (rowid, {names}) VALUES (new.rowid, {new});\n'
        "END"
    )


def _ensure_fts(db: Database, table: str, columns: list[str]) -> None:
    if not db.table(table).detect_fts():
        db.table(table).enable_fts(columns, create_triggers=True, tokenize="porter")
    wanted = fts_update_trigger(table, columns)
    current = db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", [f"{table}_au"]
    ).fetchone()
    if current and current[0] == wanted:
        return
    with db.atomic():
        db.execute(f'DROP TRIGGER IF EXISTS "{table}_au"')
        db.execute(wanted)
        # Merge what re-indexing unchanged rows left behind (0.1 s at 10,000 papers, once).
        db.execute(f'INSERT INTO "{table}_fts" ("{table}_fts") VALUES (\'optimize\')')


def ensure_db_shape(db: Database) -> None:
    """Idempotent: full-text indexes and views, applied at the end of every write command."""
    for table, columns in FTS_CONFIG.items():
        if db.table(table).exists():
            _ensure_fts(db, table, columns)
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
