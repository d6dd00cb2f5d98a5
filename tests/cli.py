"""Run the `harvester` command: as a real process (`run_cli`), as a user or cron would,
or in this process (`invoke`), for tests that only read its output and exit code.

Both return a CompletedProcess with .returncode, .stdout and .stderr, so a test
switches between them by changing one call. Keep `run_cli` for what only a real
process shows: locks, kills, concurrency, the real entry point's exit codes.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import io
import logging
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import typer.main
import typer.testing
from typer.testing import CliRunner

ROOT = Path(__file__).parent.parent
# As cron would run it: none of the caller's harvester settings, no terminal size.
_TERMINAL_SIZE = ("COLUMNS", "LINES")
# What harvester.cli makes at import when its output is a pipe: a wide page, no colour.
_PIPED_STDOUT_WIDTH = 160
_PIPED_STDERR_WIDTH = 80


def _inherited_settings(name: str) -> bool:
    return name.startswith("HARVESTER_") or name in _TERMINAL_SIZE


def _command(args: tuple[str, ...], db: Path | None) -> list[str]:
    return (["--db", str(db)] if db is not None else []) + list(args)


def run_cli(
    *args: str,
    db: Path | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not _inherited_settings(k)}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "harvester", *_command(args, db)],
        cwd=cwd or ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def invoke(
    *args: str,
    db: Path | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """The command run in this process, isolated the way `run_cli` isolates a process."""
    from harvester.cli import app

    command = _command(args, db)
    overrides: dict[str, str | None] = {k: None for k in os.environ if _inherited_settings(k)}
    overrides.update(env or {})
    # Only what the command made is swept after it (see below): freezing first keeps the
    # collector from walking every object this test process already holds.
    gc.freeze()
    try:
        with _piped_consoles(env or {}), _fresh_logging(), contextlib.chdir(cwd or ROOT), _built_once():
            result = CliRunner().invoke(app, command, env=overrides, prog_name="harvester")
        returncode, stdout, stderr = result.exit_code, result.stdout, result.stderr
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            # A real process would print this traceback; let the tests that forbid one see it.
            stderr += "".join(traceback.format_exception(result.exception))
        # A process's exit closes the database connections its command left open (SQLite then
        # moves the WAL into the file): close those of this run now, as its exit would have.
        del result
        gc.collect()
    finally:
        gc.unfreeze()
    return subprocess.CompletedProcess(["harvester", *command], returncode, stdout, stderr)


@functools.cache
def _app_command() -> Any:
    from harvester.cli import app

    return typer.main.get_command(app)


def _built_once() -> Any:
    """typer's runner builds the click command from every command's signature on each call
    (a tenth of a second, paid by hundreds of tests): build it once per test process."""
    return mock.patch.object(typer.testing, "_get_command", lambda _app: _app_command())


@contextlib.contextmanager
def _piped_consoles(env: dict[str, str]) -> Iterator[None]:
    """harvester.cli makes its consoles at import, sized by the terminal or the COLUMNS
    it found then; give each run the consoles a new process writing to pipes makes,
    with the run's COLUMNS (only `env` can carry one: the caller's is dropped)."""
    import harvester.cli as cli
    from harvester.output import make_console

    columns = env.get("COLUMNS")
    wide = int(columns) if columns is not None and columns.isdigit() else None
    # No COLUMNS: harvester.cli asks for a wide page; rich alone, without a terminal, gives 80.
    stderr_width = _PIPED_STDERR_WIDTH if wide is None else wide
    stdout_width = _PIPED_STDOUT_WIDTH if columns is None else stderr_width
    saved = cli.stdout, cli.stderr
    # Made while stdout and stderr are not terminals, so colour is detected as in a pipe.
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        cli.stdout = make_console(width=stdout_width)
        cli.stderr = make_console(stderr=True, width=stderr_width)
    try:
        yield
    finally:
        cli.stdout, cli.stderr = saved


@contextlib.contextmanager
def _fresh_logging() -> Iterator[None]:
    """The command's logging.basicConfig acts only on a root logger without handlers,
    as in a new process; its handler writes to the run's captured stderr."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    root.handlers = []
    try:
        yield
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers = saved_handlers
        root.setLevel(saved_level)
