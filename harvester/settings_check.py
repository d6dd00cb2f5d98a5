"""One check for every number a user sets (in harvester.toml, a variable or a flag; see config.py).

A zero concurrency, an infinite delay or a NaN timeout does not fail loudly
further down: it hangs the run or quietly marks every link unreachable. So each
number is checked once, when config.py builds the settings, and a bad one is an
`InvalidSetting`; config.py names the setting and where the value came from,
and the command line makes it a usage error (exit 2).
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TypeVar

from .errors import HarvesterError
from .timeutil import parse_duration

T = TypeVar("T")

# Beyond a day between two requests, or a day's wait for one answer, a run never ends.
MAX_SECONDS = 24 * 3600.0
MAX_DURATION = timedelta(days=100 * 365)


class InvalidSetting(HarvesterError, ValueError):
    """A setting's value out of its range; the message starts with the setting's name."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


def _number(name: str, text: str | float) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise InvalidSetting(name, f"not a number: {str(text)!r}") from None
    if not math.isfinite(value):
        raise InvalidSetting(name, f"must be a finite number, not {str(text)!r}")
    return value


def count(name: str, text: str | int, minimum: int = 1) -> int:
    """A whole number of things (requests in flight, attempts) of at least `minimum`."""
    value = _number(name, text)
    if not value.is_integer():
        raise InvalidSetting(name, f"must be a whole number, not {str(text)!r}")
    if value < minimum:
        raise InvalidSetting(name, f"must be at least {minimum}, not {str(text)!r}")
    return int(value)


def retries(name: str, text: str | int) -> int:
    """Extra attempts after a failure: a whole number, 0 or more."""
    return count(name, text, minimum=0)


def delay(name: str, text: str | float) -> float:
    """Seconds to wait between requests or before a retry: finite, 0 or more."""
    value = _number(name, text)
    if not 0 <= value <= MAX_SECONDS:
        raise InvalidSetting(name, f"must be between 0 and {MAX_SECONDS:g} seconds, not {str(text)!r}")
    return value


def timeout(name: str, text: str | float) -> float:
    """Seconds to wait for an answer: finite and more than 0 (0 would fail every request)."""
    value = _number(name, text)
    if not 0 < value <= MAX_SECONDS:
        raise InvalidSetting(name, f"must be more than 0 and at most {MAX_SECONDS:g} seconds, not {str(text)!r}")
    return value


def duration(name: str, text: str) -> timedelta:
    """An age such as `20h` or `7d`."""
    try:
        value = parse_duration(text)
    except (ValueError, OverflowError) as error:
        # timedelta refuses inf, NaN and huge amounts with messages about integers; say what was wrong.
        detail = str(error) if "duration" in str(error) else f"not a usable duration: {text!r}"
        raise InvalidSetting(name, detail) from None
    if value > MAX_DURATION:
        # `now - value` would fall before year 1 and fail where the age is used.
        raise InvalidSetting(name, f"at most {MAX_DURATION.days} days, not {str(text)!r}")
    return value
