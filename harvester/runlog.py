"""One refresh at a time per database, and the `runs` table that logs each one.

The lock is an OS file lock on `<db>.lock` (filelock: `flock` on POSIX, `msvcrt`
on Windows), named after the database's resolved path so that a symlink or
`db/../db/x.db` is the same lock; the OS drops it when the process dies, so a
refresh killed with SIGKILL never leaves a stale lock.

Run statuses: running, ok, partial, failed (a step failed or the run crashed;
the message is in `errors`), killed (the process died with the row still
`running`: the next run finds it so). A refresh that could not start at all
writes no row (it must not wait on the database another refresh holds): it
appends a JSON line to `<db>.refused`, which `status` shows.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from .errors import HarvesterError
from .store import insert_row
from .timeutil import iso, utc_now
from .vocabulary import RunStatus

_REFUSED_KEPT = 200  # lines of `<db>.refused` kept when it is trimmed


class AlreadyRunning(HarvesterError):
    """Another refresh holds the database's lock."""


@contextmanager
def exclusive_lock(db_path: Path) -> Iterator[None]:
    # Imported here: filelock brings asyncio with it, which `status` (a reader of this log) never needs.
    from filelock import FileLock, Timeout

    lock_path = _beside(db_path, ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(lock_path, timeout=0)  # never wait: a second refresh is refused at once
    try:
        lock.acquire()
    except Timeout:
        holder = _read_holder(lock_path)
        message = f"another refresh is already running on {db_path}{holder}; nothing was changed"
        record_refused(db_path, message)
        raise AlreadyRunning(message) from None
    try:
        _note_holder(lock_path)
        yield
    finally:
        lock.release()


def _note_holder(lock_path: Path) -> None:
    """Our process id in the lock file, for the refusal message of a second refresh (only informative)."""
    try:
        with open(lock_path, "a", encoding="utf-8") as handle:
            handle.write(str(os.getpid()))
    except OSError:
        pass  # some systems refuse writes to a locked file; the lock itself holds


def _beside(db_path: Path, suffix: str) -> Path:
    """A side file of the database, the same whichever way the database's path is spelled."""
    resolved = db_path.resolve()
    return resolved.with_name(resolved.name + suffix)


def refused_path(db_path: Path) -> Path:
    return _beside(db_path, ".refused")


def record_refused(db_path: Path, reason: str) -> None:
    """Note a refresh that could not start, without touching the database another process holds."""
    line = json.dumps({"at": iso(utc_now()), "pid": os.getpid(), "reason": reason}, ensure_ascii=False)
    try:
        with open(refused_path(db_path), "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    except OSError:
        pass  # the refusal itself is still reported on stderr


def read_refused(db_path: Path, limit: int = 5) -> list[dict[str, Any]]:
    """The latest refused refreshes, newest first; unreadable lines are skipped."""
    try:
        lines = refused_path(db_path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    found: list[dict[str, Any]] = []
    for line in reversed(lines):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            found.append(entry)
        if len(found) >= limit:
            break
    return found


def trim_refused(db_path: Path) -> None:
    """Keep the side file short; called under the lock, so no refused refresh of ours is lost."""
    path = refused_path(db_path)
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
        if len(lines) > _REFUSED_KEPT:
            temporary = path.with_name(path.name + ".tmp")
            temporary.write_text("".join(lines[-_REFUSED_KEPT:]), encoding="utf-8")
            temporary.replace(path)
    except OSError:
        pass


def _read_holder(lock_path: Path) -> str:
    try:
        pid = lock_path.read_text().strip()
    except OSError:
        return ""
    return f" (process {pid})" if pid else ""


@contextmanager
def logged_run(db: Database, command: str, now: datetime) -> Iterator[int]:
    """A `runs` row for the block; an exception leaves it `failed` with the message, never `running`."""
    run_id = start_run(db, command, now)
    crash: BaseException | None = None
    try:
        yield run_id
    except BaseException as error:
        crash = error
        raise
    finally:
        _close_unfinished(db, run_id, crash)


def _close_unfinished(db: Database, run_id: int, crash: BaseException | None) -> None:
    try:
        if db.conn.in_transaction:
            db.conn.rollback()  # the crash's half-done write is not committed with the run's row
        row = db.execute("SELECT status FROM runs WHERE id = ?", [run_id]).fetchone()
        if row is not None and row[0] == RunStatus.RUNNING:
            finish_run(db, run_id, RunStatus.FAILED, [describe_crash(crash)], utc_now())
    except sqlite3.Error:
        pass  # the database itself failed; the next run marks the row `killed`


def describe_crash(error: BaseException | None) -> str:
    if error is None:
        return "the run ended without recording its result"
    if isinstance(error, KeyboardInterrupt):
        return "interrupted (KeyboardInterrupt)"
    if isinstance(error, HarvesterError):
        return str(error)
    return f"unexpected {type(error).__name__}: {error}"


def start_run(db: Database, command: str, now: datetime) -> int:
    # Rows left 'running' by a killed process are closed as such: we hold the lock now.
    db.execute("UPDATE runs SET status = ? WHERE status = ?", [RunStatus.KILLED, RunStatus.RUNNING])
    return insert_row(db, "runs", {"command": command, "started_at": iso(now), "status": RunStatus.RUNNING})


def record_step(db: Database, run_id: int, step: str, result: dict[str, Any]) -> None:
    row = db.execute("SELECT steps FROM runs WHERE id = ?", [run_id]).fetchone()
    steps = json.loads(row[0]) if row else {}
    steps[step] = result
    db.table("runs").update(run_id, {"steps": json.dumps(steps, ensure_ascii=False, default=str)})


def finish_run(db: Database, run_id: int, status: RunStatus, errors: list[str], now: datetime) -> None:
    db.table("runs").update(
        run_id,
        {
            "status": status,
            "ended_at": iso(now),
            "errors": json.dumps(errors, ensure_ascii=False),
            # What the run left: the history after it is every row up to these (schema 0009).
            "finding_events_upto": _last_id(db, "finding_events"),
            "link_checks_upto": _last_id(db, "link_checks"),
        },
    )


def _last_id(db: Database, table: str) -> int | None:
    if not db.table(table).exists():
        return None
    row = db.execute(f"SELECT max(id) FROM [{table}]").fetchone()
    return int(row[0]) if row and row[0] is not None else None
