"""The SQLite file under unlucky conditions: another application's database, a busy
writer, a read-only filesystem, a migration that fails halfway."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database, Migrations

from harvester import store
from harvester.errors import DatabaseBusy, DatabaseError
from harvester.schema import APPLICATION_ID, MIGRATION_SETS
from tests.cli import ROOT, invoke, run_cli
from tests.seeddb import SEED, build_seed_db

# --- another application's database ------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def foreign_db(path: Path, journal_mode: str = "delete") -> Path:
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA journal_mode = {journal_mode}")
    connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    connection.executemany("INSERT INTO notes (body) VALUES (?)", [("buy milk",), ("call Ada",)])
    connection.commit()
    connection.close()
    return path


FOREIGN_COMMANDS = [
    ("report",),
    ("import", str(SEED)),
    ("links",),
    ("status",),
    ("query", "SELECT 1"),
    ("search", "pruning"),
    ("export",),
    ("fetch", "--ids", "1907.05642"),
    ("reconcile",),
]


@pytest.mark.parametrize("journal_mode", ["delete", "wal"])
@pytest.mark.parametrize("command", FOREIGN_COMMANDS, ids=lambda c: c[0])
def test_another_applications_database_is_refused_and_left_byte_identical(
    tmp_path: Path, command: tuple[str, ...], journal_mode: str
) -> None:
    db = foreign_db(tmp_path / "other.db", journal_mode)
    before, files_before = sha256(db), sorted(os.listdir(tmp_path))
    result = invoke(
        *command, db=db, env={"HARVESTER_ARXIV_URL": "http://127.0.0.1:9/api/query", "HARVESTER_ARXIV_ATTEMPTS": "1"}
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "another application" in lines[0]
    assert sha256(db) == before
    assert sorted(os.listdir(tmp_path)) == files_before


def test_a_database_stamped_by_another_application_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "stamped.db"
    connection = sqlite3.connect(db)
    connection.execute("PRAGMA application_id = 1234")
    connection.execute(
        "CREATE TABLE _sqlite_migrations (id INTEGER PRIMARY KEY, migration_set TEXT, name TEXT, applied_at TEXT)"
    )
    connection.commit()
    connection.close()
    before = sha256(db)
    with pytest.raises(DatabaseError, match="another application"):
        store.open_db(db)
    assert sha256(db) == before


def test_a_new_database_carries_harvesters_application_id(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    result = invoke("import", str(SEED), db=db)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)


def test_an_empty_file_is_a_new_database(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    db.touch()
    result = invoke("import", str(SEED), db=db)
    assert result.returncode == 0, result.stderr


def legacy_db(path: Path) -> Path:
    """A harvester database from before the application id: recognised by its migrations."""
    db = Database(path)
    for migrations in MIGRATION_SETS:
        migrations.apply(db)
    db.close()
    return path


def test_a_database_from_before_the_application_id_is_recognised_and_stamped(tmp_path: Path) -> None:
    db = legacy_db(tmp_path / "old.db")
    status = invoke("status", "--json", db=db)
    assert status.returncode == 0, status.stderr
    result = invoke("import", str(SEED), db=db)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)


def test_a_migration_failing_halfway_leaves_no_half_applied_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = Migrations("broken")

    @broken(name="0001_first")
    def _first(db: Database) -> None:
        db.executescript("CREATE TABLE first_half (x INTEGER);")

    @broken(name="0002_second")
    def _second(db: Database) -> None:
        db.executescript("CREATE TABLE second_half (x INTEGER);")
        raise RuntimeError("disk full, say")

    db_path = tmp_path / "h.db"
    store.open_db(db_path).close()
    monkeypatch.setattr(store, "MIGRATION_SETS", [*MIGRATION_SETS, broken])
    with pytest.raises(RuntimeError):
        store.open_db(db_path)
    with sqlite3.connect(db_path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        recorded = connection.execute(
            "SELECT count(*) FROM _sqlite_migrations WHERE migration_set = 'broken'"
        ).fetchone()
    assert "first_half" not in tables and "second_half" not in tables
    assert recorded == (0,)


# --- a busy database -----------------------------------------------------------------------


@pytest.fixture
def empty_harvester_db(tmp_path: Path) -> Path:
    path = tmp_path / "h.db"
    store.open_db(path).close()
    return path


@pytest.mark.timeout(60)
def test_import_while_another_process_writes_says_busy_in_one_line(empty_harvester_db: Path) -> None:
    holder = sqlite3.connect(empty_harvester_db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO runs (command, started_at, status) VALUES ('other', 'now', 'running')")
    try:
        result = run_cli("import", str(SEED), db=empty_harvester_db, env={"HARVESTER_BUSY_TIMEOUT": "0.2"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "is busy" in lines[0] and str(empty_harvester_db) in lines[0]
    with sqlite3.connect(empty_harvester_db) as connection:
        assert connection.execute("SELECT count(*) FROM lists").fetchone() == (0,)
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf"])
@pytest.mark.parametrize("command", [("import", str(SEED)), ("query", "SELECT 1")], ids=lambda c: c[0])
def test_a_bad_busy_timeout_is_one_line(empty_harvester_db: Path, value: str, command: tuple[str, ...]) -> None:
    result = invoke(*command, db=empty_harvester_db, env={"HARVESTER_BUSY_TIMEOUT": value})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "HARVESTER_BUSY_TIMEOUT" in lines[0], result.stderr


@pytest.mark.parametrize("opening", ["atomic", "begin"])
def test_a_transaction_that_reads_then_writes_keeps_the_write_lock(empty_harvester_db: Path, opening: str) -> None:
    """A deferred transaction that read, then found another writer had committed, failed at
    once with "database is locked" whatever the busy timeout; ours hold the lock from BEGIN."""
    ours = store.open_db(empty_harvester_db)
    other = sqlite3.connect(empty_harvester_db, timeout=0, isolation_level=None)
    other_blocked = False
    if opening == "atomic":
        transaction = ours.atomic()
        transaction.__enter__()
    else:
        ours.begin()
    ours.execute("SELECT count(*) FROM runs").fetchone()
    try:
        other.execute("INSERT INTO runs (command, started_at, status) VALUES ('other', 'now', 'ok')")
    except sqlite3.OperationalError:
        other_blocked = True  # it waits for us: the write it wanted comes after ours
    ours.execute("INSERT INTO runs (command, started_at, status) VALUES ('ours', 'now', 'ok')")
    if opening == "atomic":
        transaction.__exit__(None, None, None)
    else:
        ours.commit()
    if other_blocked:
        other.execute("INSERT INTO runs (command, started_at, status) VALUES ('other', 'now', 'ok')")
    commands = sorted(row[0] for row in other.execute("SELECT command FROM runs"))
    assert commands == ["other", "ours"]
    other.close()
    ours.close()


def test_a_write_that_cannot_get_the_lock_raises_database_busy(
    empty_harvester_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARVESTER_BUSY_TIMEOUT", "0")
    holder = sqlite3.connect(empty_harvester_db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    ours = store.open_db(empty_harvester_db)
    try:
        with pytest.raises(DatabaseBusy, match="is busy"):
            ours["runs"].insert({"command": "ours", "started_at": "now", "status": "ok"})
        with pytest.raises(DatabaseBusy):
            ours.conn.execute("INSERT INTO runs (command, started_at, status) VALUES ('x', 'now', 'ok')")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not ours.conn.in_transaction
    ours.close()


# --- a read-only filesystem ---------------------------------------------------------------------


def _mounts_permitted() -> bool:
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs none /mnt"], capture_output=True, check=False)
    return probe.returncode == 0


MOUNT_READ_ONLY = 'mount --bind "$1" "$2" && mount -o remount,ro,bind "$2" && shift 2 && exec "$@"'


def run_cli_on_read_only_copy(source: Path, mount_point: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in a private mount namespace where `mount_point` shows `source` read-only;
    the mount ends with the process, so nothing outlives the test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVESTER_") and k not in ("COLUMNS", "LINES")}
    command = ["unshare", "-m", "sh", "-c", MOUNT_READ_ONLY, "sh", str(source), str(mount_point)]
    command += [sys.executable, "-m", "harvester", "--db", str(mount_point / "h.db"), *args]
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, check=False
    )


@pytest.fixture(scope="module")
def read_only_setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    if not _mounts_permitted():
        pytest.skip("mount namespaces are not permitted here")
    root = tmp_path_factory.mktemp("readonly")
    source, mount_point = root / "source", root / "ro"
    source.mkdir()
    mount_point.mkdir()
    build_seed_db(source / "h.db")
    assert sorted(os.listdir(source)) == ["h.db"]  # WAL mode, closed: no -wal or -shm to lean on
    yield source, mount_point


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (("query", "SELECT count(*) AS n FROM papers", "--format", "csv"), "19"),
        (("status", "--json"), '"papers": 19'),
        (("search", "pruning", "--json"), "arxiv_id"),
        (("export", "--format", "json"), "1907.05642"),
        (("export", "--format", "bibtex"), "@misc{han2015deep,"),  # keys not pinned, said on stderr
    ],
    ids=lambda value: value[0] if isinstance(value, tuple) else "",
)
def test_reading_commands_work_on_a_read_only_filesystem(
    read_only_setup: tuple[Path, Path], command: tuple[str, ...], expected: str
) -> None:
    source, mount_point = read_only_setup
    before = sha256(source / "h.db")
    result = run_cli_on_read_only_copy(source, mount_point, *command)
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout
    assert sha256(source / "h.db") == before
    assert sorted(os.listdir(source)) == ["h.db"]


def test_read_only_open_falls_back_to_an_immutable_read_when_the_folder_is_not_writable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = build_seed_db(tmp_path / "h.db")
    real_connect = sqlite3.connect
    opened: list[str] = []

    def connect_as_on_a_read_only_filesystem(database: str, *args: object, **kwargs: object) -> sqlite3.Connection:
        opened.append(str(database))
        if "immutable=1" not in str(database):
            raise sqlite3.OperationalError("unable to open database file")
        return real_connect(database, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite3, "connect", connect_as_on_a_read_only_filesystem)
    monkeypatch.setattr(os, "access", lambda path, mode, **_: mode != os.W_OK)
    connection = store.open_readonly(db)
    assert connection.execute("SELECT count(*) FROM papers").fetchone() == (19,)
    assert any("immutable=1" in uri for uri in opened)
    with pytest.raises(sqlite3.OperationalError):
        connection.execute("DELETE FROM papers")


def test_a_normal_read_failure_on_a_writable_folder_is_still_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = build_seed_db(tmp_path / "h.db")

    def failing_connect(database: str, *args: object, **kwargs: object) -> sqlite3.Connection:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(sqlite3, "connect", failing_connect)
    with pytest.raises(DatabaseError, match="cannot read database"):
        store.open_readonly(db)


def test_a_read_only_folder_with_commits_still_in_the_wal_is_refused_not_read_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = build_seed_db(tmp_path / "h.db")
    db.with_name("h.db-wal").write_bytes(b"\0" * 64)  # never read by SQLite here: the open fails first
    real_connect = sqlite3.connect

    def connect_as_on_a_read_only_filesystem(database: str, *args: object, **kwargs: object) -> sqlite3.Connection:
        if "immutable=1" not in str(database):
            raise sqlite3.OperationalError("unable to open database file")
        return real_connect(database, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite3, "connect", connect_as_on_a_read_only_filesystem)
    monkeypatch.setattr(os, "access", lambda path, mode, **_: mode != os.W_OK)
    with pytest.raises(DatabaseError, match="h.db-wal holds changes"):
        store.open_readonly(db)


def test_commits_still_in_the_wal_on_a_read_only_filesystem_are_not_silently_left_out(
    read_only_setup: tuple[Path, Path], tmp_path: Path
) -> None:
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy(read_only_setup[0] / "h.db", source / "h.db")
    writer = sqlite3.connect(source / "h.db")
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("DELETE FROM papers")
    writer.commit()
    # A copy taken while the writer is open: the deletion lives only in the -wal.
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(source / "h.db", copy / "h.db")
    shutil.copy(source / "h.db-wal", copy / "h.db-wal")
    writer.close()
    mount_point = tmp_path / "ro"
    mount_point.mkdir()
    result = run_cli_on_read_only_copy(copy, mount_point, "query", "SELECT count(*) FROM papers", "--format", "csv")
    assert result.returncode == 1
    assert "19" not in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "h.db-wal holds changes" in lines[0], result.stderr
