"""Waiting for a condition instead of for a guessed number of seconds."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

POLL = 0.01


def wait_until(condition: Callable[[], T], what: str, timeout: float = 30.0) -> T:
    """Poll until `condition()` is truthy and return it; the timeout only bounds a hang."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(POLL)
