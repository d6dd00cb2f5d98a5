"""Noted date vs the versions' submission dates, and versions newer than the note."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from ..readinglist import NotedDate
from .model import (
    DATE_TOLERANCE,
    EntryInput,
    Finding,
    PaperInfo,
    VersionInfo,
    finding,
    line_of,
)

# --- dates ---------------------------------------------------------------------------


def versions_of(paper: PaperInfo) -> list[VersionInfo]:
    versions = sorted(paper.versions, key=lambda v: v.version)
    return versions or [VersionInfo(1, paper.title, paper.published)]


def date_agrees(noted: NotedDate, submitted: datetime) -> bool:
    """The noted date names this submission at its own precision, give or take a day."""
    day = submitted.date()
    return any(_same_at_precision(noted, day + timedelta(days=d)) for d in (-1, 0, 1))


def _same_at_precision(noted: NotedDate, day: date) -> bool:
    if noted.year != day.year:
        return False
    if noted.precision == "year":
        return True
    if noted.month != day.month:
        return False
    return noted.precision == "month" or noted.day == day.day


def date_finding(entry: EntryInput, paper: PaperInfo) -> Finding | None:
    noted = entry.noted_date
    versions = versions_of(paper)
    if noted is None or any(date_agrees(noted, v.submitted) for v in versions):
        return None
    v1 = versions[0].submitted
    return finding(
        entry,
        "date_mismatch",
        paper.arxiv_id,
        noted=noted.text,
        arxiv_value=v1.strftime("%Y-%m-%dT%H:%M:%SZ"),
        suggestion=format_like(noted, v1.date()),
        line=line_of(entry, noted.text),
        detail=f"no version was submitted on {noted.text}; v1 was submitted on {v1:%Y-%m-%d} (UTC)"
        + (f", the latest (v{versions[-1].version}) on {versions[-1].submitted:%Y-%m-%d}" if len(versions) > 1 else ""),
    )


def format_like(noted: NotedDate, day: date) -> str:
    """`day` written as the curator wrote `noted`: same separators, padding and precision."""
    values = [day.year] + ([day.month] if noted.precision != "year" else [])
    values += [day.day] if noted.precision == "day" else []
    runs = list(re.finditer(r"\d+", noted.text))
    if len(runs) != len(values) or len(runs[0].group(0)) != 4:
        return _iso_at_precision(day, noted.precision)
    # A curator who wrote "2019.1.29" does not pad; "2019-01-29" or "2019-11-29" does.
    width = 1 if any(len(run.group(0)) == 1 for run in runs[1:]) else 2
    out, last = [], 0
    for index, (run, value) in enumerate(zip(runs, values, strict=True)):
        out.append(noted.text[last : run.start()] + (str(value) if index == 0 else f"{value:0{width}d}"))
        last = run.end()
    return "".join(out) + noted.text[last:]


def _iso_at_precision(day: date, precision: str) -> str:
    return {"year": f"{day:%Y}", "month": f"{day:%Y-%m}"}.get(precision, day.isoformat())


def _latest_noted_day(noted: NotedDate) -> date:
    if noted.precision == "year":
        return date(noted.year, 12, 31)
    if noted.precision == "month" and noted.month:
        next_month = date(noted.year + noted.month // 12, noted.month % 12 + 1, 1)
        return next_month - timedelta(days=1)
    return date(noted.year, noted.month or 1, noted.day or 1)


def new_version_findings(
    entry: EntryInput, paper: PaperInfo, last_run: datetime | None, date_is_wrong: bool
) -> Iterator[Finding]:
    latest = versions_of(paper)[-1]
    if latest.version < 2:
        return
    noted = entry.noted_date
    after_note = (
        noted is not None and not date_is_wrong and latest.submitted.date() > _latest_noted_day(noted) + DATE_TOLERANCE
    )
    since_last_run = last_run is not None and latest.seen_at is not None and latest.seen_at > last_run
    if not (after_note or since_last_run):
        return
    reason = f"after the noted date {noted.text}" if after_note and noted else "since the last run"
    yield finding(
        entry,
        "new_version",
        paper.arxiv_id,
        noted=noted.text if noted else None,
        arxiv_value=f"v{latest.version} ({latest.submitted:%Y-%m-%d})",
        extra=f"v{latest.version}",
        detail=f"v{latest.version} was submitted on {latest.submitted:%Y-%m-%d}, {reason}",
    )
