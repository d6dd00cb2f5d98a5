"""The nightly refresh against hostile lists, crashing steps, and a second spelling of the database."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from standins.arxiv import ArxivStandIn

from harvester import refresh as refresh_module
from harvester.arxiv.config import ClientConfig
from harvester.refresh import RefreshOptions, run_refresh
from harvester.store import open_db
from harvester.timeutil import utc_now
from tests import test_refresh as shared
from tests.cli import ROOT, invoke
from tests.test_refresh import ONLY_LOCAL, dump, env_for, refresh

# The nightly-job fixtures (arxiv and web come from conftest): the seed list and a small list.
lists, tool_site = shared.lists, shared.tool_site

DEEP_EMPHASIS = "*" * 100_000 + "x" + "*" * 100_000
# A list whose parsing raises something no one planned for. The parser now survives
# every input we know of, so the crash is injected, in the real CLI process.
CRASH_MARK = "<!-- crash the parser -->"
CRASHING_CLI = textwrap.dedent(
    f"""
    import sys
    import harvester.importer as importer
    real = importer.parse_reading_list
    def parse(text):
        if {CRASH_MARK!r} in text:
            raise RecursionError("maximum recursion depth exceeded")
        return real(text)
    importer.parse_reading_list = parse
    from harvester.cli import app
    app(prog_name="harvester")
    """
)


def read_refused(db: Path) -> list[dict]:
    from harvester.runlog import read_refused as read

    return read(db)


def _runs(db: Path) -> list[tuple[str, list[str]]]:
    with sqlite3.connect(db) as conn:
        return [
            (status, json.loads(errors))
            for status, errors in conn.execute("SELECT status, errors FROM runs ORDER BY id")
        ]


def test_a_list_of_100k_deep_emphasis_is_imported_with_the_others(
    tmp_path: Path, lists: Path, arxiv: ArxivStandIn
) -> None:
    (lists / "hostile.md").write_text("# Hostile\n\n" + DEEP_EMPHASIS + "\n\n- [p](https://arxiv.org/abs/1907.05686)\n")
    db = tmp_path / "h.db"
    result = refresh(db, lists, arxiv, "--json", "--no-links")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert report["steps"]["import"]["counts"]["lists"] == 3
    assert _runs(db) == [("ok", [])]


@pytest.mark.timeout(180)
def test_a_list_that_crashes_the_parser_is_reported_and_the_rest_of_the_refresh_runs(
    tmp_path: Path, lists: Path, arxiv: ArxivStandIn
) -> None:
    bad = lists / "hostile.md"
    bad.write_text(f"# Hostile\n{CRASH_MARK}\n\n- [p](https://arxiv.org/abs/1907.05686)\n")
    db = tmp_path / "h.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVESTER_")} | env_for(arxiv)
    command = [sys.executable, "-c", CRASHING_CLI, "--db", str(db), "refresh", str(lists), *ONLY_LOCAL, "--json"]
    result = subprocess.run(
        command, check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=150, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "partial"
    assert report["steps"]["import"]["status"] == "partial"
    assert report["steps"]["import"]["counts"]["lists"] == 2
    assert "hostile.md" in report["steps"]["import"]["error"]
    assert "RecursionError: maximum recursion depth exceeded" in report["steps"]["import"]["error"]
    assert report["steps"]["fetch"]["status"] == "ok"
    assert report["steps"]["reconcile"]["status"] == "ok"
    assert report["steps"]["links"]["status"] == "ok"
    with sqlite3.connect(db) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM lists")}
        assert names == {"model-compression.md", "tools.md"}
        assert conn.execute("SELECT count(*) FROM papers").fetchone()[0] == 19
    [(status, errors)] = _runs(db)
    assert status == "partial"
    assert any("hostile.md" in error and "RecursionError" in error for error in errors)
    shown = invoke("status", db=db)
    assert shown.returncode == 0, shown.stderr
    assert "partial" in shown.stdout and "RecursionError" in " ".join(shown.stdout.split())


def _options(db: Path, lists: Path, arxiv: ArxivStandIn) -> RefreshOptions:
    return RefreshOptions(
        db_path=db, paths=(lists,), arxiv=ClientConfig(base_url=arxiv.url, delay=0, backoff_base=0.01)
    )


def test_a_step_raising_any_exception_is_failed_with_its_type_and_the_later_steps_run(
    tmp_path: Path, lists: Path, arxiv: ArxivStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_fetch(*_: object) -> None:
        raise KeyError("no such paper")

    monkeypatch.setattr(refresh_module, "_fetch_step", broken_fetch)
    report = run_refresh(_options(tmp_path / "h.db", lists, arxiv))
    assert report.status == "partial"
    assert report.steps["fetch"].status == "failed"
    assert report.steps["fetch"].error == "unexpected KeyError: 'no such paper'"
    assert report.steps["import"].status == "ok"
    assert report.steps["reconcile"].status == "ok"
    assert _runs(tmp_path / "h.db") == [("partial", ["fetch: unexpected KeyError: 'no such paper'"])]


def test_an_unexpected_exception_in_the_run_itself_marks_it_failed_with_its_message(
    tmp_path: Path, lists: Path, arxiv: ArxivStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_shape(*_: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(refresh_module, "ensure_db_shape", broken_shape)
    with pytest.raises(ZeroDivisionError):
        run_refresh(_options(tmp_path / "h.db", lists, arxiv))
    assert _runs(tmp_path / "h.db") == [("failed", ["unexpected ZeroDivisionError: division by zero"])]


def test_logged_run_closes_the_row_as_failed_on_any_exception_and_leaves_a_finished_row_alone(tmp_path: Path) -> None:
    from harvester.runlog import logged_run

    db = open_db(tmp_path / "h.db")
    with pytest.raises(RuntimeError), logged_run(db, "refresh", utc_now()):
        raise RuntimeError("disk on fire")
    with pytest.raises(KeyboardInterrupt), logged_run(db, "refresh", utc_now()):
        raise KeyboardInterrupt
    with logged_run(db, "refresh", utc_now()) as run_id:
        db["runs"].update(run_id, {"status": "ok"})
    db.close()
    assert _runs(tmp_path / "h.db") == [
        ("failed", ["unexpected RuntimeError: disk on fire"]),
        ("failed", ["interrupted (KeyboardInterrupt)"]),
        ("ok", []),
    ]


# --- one lock, whichever way the database's path is spelled ------------------------------

HOLD_LOCK = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from harvester.runlog import exclusive_lock
    with exclusive_lock(Path(sys.argv[1])):
        print("held", flush=True)
        time.sleep(120)
    """
)


@pytest.fixture
def held_lock(tmp_path: Path) -> Iterator[Path]:
    """The database's lock, held by another process through the plain spelling of its path."""
    folder = tmp_path / "db"
    folder.mkdir()
    db = folder / "harvester.db"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(db)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield db
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("spelling", ["symlink", "dotdot", "relative"])
def test_a_refresh_through_another_spelling_of_a_locked_database_exits_1_and_changes_nothing(
    tmp_path: Path, lists: Path, arxiv: ArxivStandIn, held_lock: Path, spelling: str
) -> None:
    db = held_lock
    assert invoke("import", str(lists), db=db).returncode == 0
    before = dump(db, skip=set())
    other = {
        "symlink": tmp_path / "link.db",
        "dotdot": db.parent / ".." / db.parent.name / db.name,
        "relative": Path(os.path.relpath(db, ROOT)),
    }[spelling]
    if spelling == "symlink":
        other.symlink_to(db)
    result = refresh(other, lists, arxiv)
    assert result.returncode == 1
    assert "already running" in result.stderr
    assert "Traceback" not in result.stderr
    assert dump(db, skip=set()) == before
    assert arxiv.requests == []


def test_a_refused_refresh_is_noted_beside_the_database_and_shown_by_status(
    tmp_path: Path, lists: Path, arxiv: ArxivStandIn, held_lock: Path
) -> None:
    db = held_lock
    assert invoke("import", str(lists), db=db).returncode == 0
    link = tmp_path / "link.db"
    link.symlink_to(db)
    assert refresh(link, lists, arxiv).returncode == 1
    assert refresh(db, lists, arxiv).returncode == 1
    refused = read_refused(db)
    assert len(refused) == 2 and all("already running" in r["reason"] for r in refused)
    shown = invoke("status", db=link)
    assert shown.returncode == 0, shown.stderr
    flat = " ".join(shown.stdout.split())
    assert "could not start" in flat and "already running" in flat
    as_json = json.loads(invoke("status", "--json", db=db).stdout)
    assert [r["reason"] for r in as_json["refused"]] == [r["reason"] for r in refused]


@pytest.mark.timeout(120)
def test_a_refresh_refused_by_a_writer_holding_the_database_is_noted_and_shown(
    tmp_path: Path, lists: Path, arxiv: ArxivStandIn
) -> None:
    db = tmp_path / "h.db"
    assert invoke("import", str(lists), db=db).returncode == 0
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another program writing, not a refresh: no lock file involved
    try:
        # Waits out the busy timeout (shortened here), then gives up.
        result = invoke("refresh", str(lists), *ONLY_LOCAL, db=db, env=env_for(arxiv, HARVESTER_BUSY_TIMEOUT="1"))
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert result.returncode == 1
    assert "locked" in result.stderr and "Traceback" not in result.stderr
    assert arxiv.requests == []
    assert _runs(db) == []
    [refused] = read_refused(db)
    assert "did not start" in refused["reason"]
    shown = invoke("status", db=db)
    assert "could not start" in " ".join(shown.stdout.split())
