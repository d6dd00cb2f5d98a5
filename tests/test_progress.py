"""Progress of long steps: bars on a terminal, plain lines in a log, never on stdout."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harvester import progress
from harvester.importer import import_lists, read_source
from harvester.store import open_db
from tests.cli import ROOT, invoke
from tests.standins.arxiv import ArxivStandIn

SEED = ROOT / "seeds" / "model-compression.md"
FAST = {"HARVESTER_ARXIV_DELAY": "0", "HARVESTER_ARXIV_BACKOFF": "0.05", "HARVESTER_ARXIV_TIMEOUT": "5"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_line_display_says_start_every_interval_and_end_with_time_left() -> None:
    lines: list[str] = []
    clock = FakeClock()
    display = progress.LineDisplay(lines.append, every=30.0, clock=clock)
    with progress.showing(display), progress.tracked("fetch", 100, "papers") as task:
        clock.now = 10.0
        task.advance(10)  # too soon for a line
        clock.now = 30.0
        task.advance(15)  # 25 done in 30 s: 75 more take about 90 s
        clock.now = 40.0
        task.advance(25)
        clock.now = 61.0
        task.advance(25)
    assert lines == [
        "fetch: 0/100 papers",
        "fetch: 25/100 papers (25%), about 1m30s left",
        "fetch: 75/100 papers (75%), about 21s left",
        "fetch: 75/100 papers (75%) in 1m01s",
    ]


def test_a_task_never_counts_past_its_total_and_closes_once() -> None:
    lines: list[str] = []
    with progress.showing(progress.LineDisplay(lines.append, every=0.0, clock=FakeClock())):
        task = progress.task("links", 2, "links")
        task.advance(5)
        task.done()
        task.done()
        task.advance(1)
    assert lines == ["links: 0/2 links", "links: 2/2 links (100%)", "links: 2/2 links (100%) in 0s"]


def test_without_a_display_nothing_is_shown_anywhere(capsys: pytest.CaptureFixture[str]) -> None:
    with progress.tracked("fetch", 3) as task:
        task.advance(3)
    assert capsys.readouterr() == ("", "")


def _seed_db(tmp_path: Path) -> Path:
    path = tmp_path / "h.db"
    database = open_db(path)
    import_lists(database, [read_source(SEED)], datetime(2026, 12, 1, tzinfo=UTC))
    database.close()
    return path


def test_in_a_log_fetch_progress_is_plain_lines_on_stderr_only(tmp_path: Path, arxiv: ArxivStandIn) -> None:
    db = _seed_db(tmp_path)
    result = invoke("fetch", "--json", db=db, env={**FAST, "HARVESTER_ARXIV_URL": arxiv.url})
    assert result.returncode == 0, result.stderr
    assert "fetch: 0/19 papers" in result.stderr
    assert "fetch: 19/19 papers (100%) in" in result.stderr
    assert "fetch:" not in result.stdout and "\x1b" not in result.stderr


def _run_with_stderr_on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run harvester with stderr on a pseudo-terminal and stdout on a pipe, as `cmd > out` in a shell."""
    leader, follower = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HARVESTER_")}
    full_env.update(env, TERM="xterm-256color", COLUMNS="100")
    process = subprocess.Popen(
        [sys.executable, "-m", "harvester", *args],
        cwd=ROOT,
        env=full_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
    )
    os.close(follower)
    terminal = bytearray()
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closes when the process ends
            break
        if not chunk:
            break
        terminal += chunk
    stdout = process.stdout.read().decode() if process.stdout else ""
    code = process.wait(timeout=60)
    os.close(leader)
    return code, stdout, terminal.decode(errors="replace")


def test_on_a_terminal_fetch_shows_a_bar_with_counts_on_stderr_and_nothing_on_stdout(
    tmp_path: Path, arxiv: ArxivStandIn
) -> None:
    db = _seed_db(tmp_path)
    code, stdout, terminal = _run_with_stderr_on_a_terminal(
        ["--db", str(db), "fetch", "--json"], {**FAST, "HARVESTER_ARXIV_URL": arxiv.url}
    )
    assert code == 0, terminal
    assert "19/19" in terminal and "━" in terminal  # the bar and its count
    assert "fetch: 0/19" not in terminal  # not the lines meant for logs
    assert stdout.lstrip().startswith("{") and "━" not in stdout and "19/19" not in stdout
