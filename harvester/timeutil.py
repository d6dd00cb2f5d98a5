"""UTC timestamps as the database stores them: ISO 8601 with a `Z`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """`90s`, `30m`, `20h`, `7d`, `2w` (or a bare number of seconds) -> timedelta."""
    cleaned = text.strip().lower()
    if not cleaned:
        raise ValueError("empty duration")
    unit = cleaned[-1]
    if unit.isdigit():
        return timedelta(seconds=float(cleaned))
    if unit not in _UNITS:
        raise ValueError(f"unknown unit in duration {text!r}: use s, m, h, d or w")
    try:
        amount = float(cleaned[:-1])
    except ValueError as error:
        raise ValueError(f"not a duration: {text!r}") from error
    if amount < 0:
        raise ValueError(f"negative duration: {text!r}")
    return timedelta(seconds=amount * _UNITS[unit])
