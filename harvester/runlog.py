"""One refresh at a time per database, and the `runs` table that logs each one.

The lock is an advisory `flock` on `<db>.lock`: the kernel drops it when the
process dies, so a refresh killed with SIGKILL never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from .errors import HarvesterError
from .timeutil import iso


class AlreadyRunning(HarvesterError):
    """Another refresh holds the database's lock."""


@contextmanager
def exclusive_lock(db_path: Path) -> Iterator[None]:
    lock_path = db_path.with_name(db_path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock_path, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(lock_path)
            raise AlreadyRunning(
                f"another refresh is already running on {db_path}{holder}; nothing was changed"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()


def _read_holder(lock_path: Path) -> str:
    try:
        pid = lock_path.read_text().strip()
    except OSError:
        return ""
    return f" (process {pid})" if pid else ""


def start_run(db: Database, command: str, now: datetime) -> int:
    # Rows left 'running' by a killed process are closed as such: we hold the lock now.
    db.execute("UPDATE runs SET status = 'killed' WHERE status = 'running'")
    return int(db["runs"].insert({"command": command, "started_at": iso(now), "status": "running"}).last_pk)


def record_step(db: Database, run_id: int, step: str, result: dict[str, Any]) -> None:
    row = db.execute("SELECT steps FROM runs WHERE id = ?", [run_id]).fetchone()
    steps = json.loads(row[0]) if row else {}
    steps[step] = result
    db["runs"].update(run_id, {"steps": json.dumps(steps, ensure_ascii=False, default=str)})


def finish_run(db: Database, run_id: int, status: str, errors: list[str], now: datetime) -> None:
    db["runs"].update(
        run_id, {"status": status, "ended_at": iso(now), "errors": json.dumps(errors, ensure_ascii=False)}
    )
