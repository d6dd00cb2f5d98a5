"""A date written the way a list writes its dates: same precision, separator, padding, month names."""

from __future__ import annotations

import calendar
import re
from datetime import date

from ..readinglist import NotedDate

_NUMERIC = re.compile(r"^(?P<year>\d{4})(?:(?P<sep>[-./])(?P<month>\d{1,2})(?:[-./](?P<day>\d{1,2}))?)?$")
_NAMED = re.compile(r"^(?P<month>[A-Za-z]{3,9})\.?\s+(?P<year>\d{4})$")


def written_like(example: NotedDate, value: date) -> str | None:
    """`value` at the example's precision and in its form; None when the form is not one we can repeat."""
    numeric = _NUMERIC.match(example.text)
    if numeric:
        return _numeric(numeric, value)
    named = _NAMED.match(example.text)
    if named:
        name = named.group("month")
        full = calendar.month_name[value.month]
        month = full if len(name) > 3 and name.lower() != "sept" else calendar.month_abbr[value.month]
        month = month.upper() if name.isupper() else month.lower() if name.islower() else month
        dot = "." if example.text[len(name)] == "." else ""
        return f"{month}{dot} {value.year}"
    return None


def _numeric(match: re.Match[str], value: date) -> str:
    sep = match.group("sep") or "-"
    parts = [str(value.year)]
    if match.group("month"):
        parts.append(_padded(value.month, match.group("month")))
    if match.group("day"):
        parts.append(_padded(value.day, match.group("day")))
    return sep.join(parts)


def _padded(number: int, example: str) -> str:
    return f"{number:02d}" if len(example) == 2 else str(number)
