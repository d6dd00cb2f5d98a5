"""How far long steps are, reported the way logging is: the steps say, the command line shows.

A step that takes minutes (fetching 2,000 papers at arXiv's 3 s spacing, enriching
a blog at one request per paper, checking a thousand links) opens a task and
advances it:

    task = progress.task("fetch", total=len(ids), unit="papers")
    task.advance(len(batch))
    task.done()

Nothing is shown unless a display is installed with `showing(display)` around the
work; the command line installs one on stderr (a bar with counts and time left on
a terminal, a plain line now and then in a cron log) and stdout never sees it.
Steps running concurrently in one event loop each have their own task.

The display lives in a context variable rather than a parameter so that the
steps, the harvest and the checkers need no extra argument threaded through
every call between the command and the loop that does the work; asyncio tasks
inherit it from the code that starts them.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress

from .output import print_plain


class Display(Protocol):
    def opened(self, name: str, total: int, unit: str) -> None: ...
    def advanced(self, name: str, done: int) -> None: ...
    def closed(self, name: str, done: int) -> None: ...
    def stop(self) -> None: ...  # the work is over: release the terminal


class _Silent:
    def opened(self, name: str, total: int, unit: str) -> None:
        pass

    def advanced(self, name: str, done: int) -> None:
        pass

    def closed(self, name: str, done: int) -> None:
        pass

    def stop(self) -> None:
        pass


SILENT: Display = _Silent()
_display: ContextVar[Display] = ContextVar("harvester_progress_display", default=SILENT)


@dataclass
class Task:
    """One step's count of things done out of `total`."""

    name: str
    total: int
    display: Display
    done_count: int = 0
    closed: bool = False

    def advance(self, count: int = 1) -> None:
        if self.closed or count <= 0:
            return
        self.done_count = min(self.total, self.done_count + count)
        self.display.advanced(self.name, self.done_count)

    def done(self) -> None:
        if not self.closed:
            self.closed = True
            self.display.closed(self.name, self.done_count)


def task(name: str, total: int, unit: str = "items") -> Task:
    """Open a task on the current display (a silent one unless the caller installed one)."""
    display = _display.get()
    opened = Task(name, max(total, 0), display)
    display.opened(name, opened.total, unit)
    return opened


@contextlib.contextmanager
def tracked(name: str, total: int, unit: str = "items") -> Iterator[Task]:
    """A task that is closed however the block ends (an outage, a kill, an exception)."""
    opened = task(name, total, unit)
    try:
        yield opened
    finally:
        opened.done()


@contextlib.contextmanager
def showing(display: Display) -> Iterator[Display]:
    token = _display.set(display)
    try:
        yield display
    finally:
        _display.reset(token)
        display.stop()


class BarDisplay:
    """rich bars with counts and time left, one per open task, on a terminal."""

    def __init__(self, console: Console) -> None:
        self._progress = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[unit]}"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}
        self._started = False

    def opened(self, name: str, total: int, unit: str) -> None:
        if not self._started:
            self._progress.start()
            self._started = True
        self._tasks[name] = self._progress.add_task(name, total=total, unit=unit)

    def advanced(self, name: str, done: int) -> None:
        if name in self._tasks:
            self._progress.update(self._tasks[name], completed=done)

    def closed(self, name: str, done: int) -> None:
        if name in self._tasks:
            self._progress.update(self._tasks.pop(name), completed=done)

    def stop(self) -> None:
        if self._started:
            self._progress.stop()
            self._started = False


@dataclass
class _LineState:
    total: int
    unit: str
    started: float
    last_said: float
    done: int = 0


@dataclass
class LineDisplay:
    """Plain lines for logs: one when a task opens, one every `every` seconds, one when it closes."""

    write: Callable[[str], None]
    every: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _tasks: dict[str, _LineState] = field(default_factory=dict)

    def opened(self, name: str, total: int, unit: str) -> None:
        now = self.clock()
        self._tasks[name] = _LineState(total, unit, now, now)
        self.write(f"{name}: 0/{total} {unit}")

    def advanced(self, name: str, done: int) -> None:
        state = self._tasks.get(name)
        if state is None:
            return
        state.done = done
        now = self.clock()
        if now - state.last_said >= self.every:
            state.last_said = now
            self.write(f"{name}: {_counted(state)}{_time_left(state, now)}")

    def closed(self, name: str, done: int) -> None:
        state = self._tasks.pop(name, None)
        if state is None:
            return
        state.done = done
        self.write(f"{name}: {_counted(state)} in {_seconds(self.clock() - state.started)}")

    def stop(self) -> None:
        pass  # every line is already written


def _counted(state: _LineState) -> str:
    share = f" ({100 * state.done // state.total}%)" if state.total else ""
    return f"{state.done}/{state.total} {state.unit}{share}"


def _time_left(state: _LineState, now: float) -> str:
    elapsed = now - state.started
    if state.done <= 0 or elapsed <= 0 or state.done >= state.total:
        return ""
    return f", about {_seconds(elapsed * (state.total - state.done) / state.done)} left"


def _seconds(value: float) -> str:
    whole = max(0, math.ceil(value))
    if whole < 60:
        return f"{whole}s"
    minutes, seconds = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def display_for(console: Console) -> Display:
    """A bar on a terminal, plain lines anywhere else (a pipe, a file, a cron mail)."""
    if console.is_terminal and not console.is_dumb_terminal:
        return BarDisplay(console)
    return LineDisplay(lambda text: print_plain(console, text))
