"""Fields written in an entry's text: link markers, the noted date, venue, rating, notes.

Works on the entry's lines as produced by `inline` (LINK stands for a link,
EMPHASIS for * or _). Every finder returns what it found and the character
spans it used, so that what is left over is the curator's free-text note.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

from .inline import EMPHASIS, LINK, MARKERS

Span = tuple[int, int, int]  # line index, start, end

_DATE_CORE = r"(?:19|20)\d\d(?:[-./]\d{1,2}(?:[-./]\d{1,2})?)?"
# The curator's own style first: a date set in emphasis, `*2019-05-24*`.
# Runs of markers and spaces are matched from their start and never given back
# (possessive), so a line of 100k markers costs one pass, not one per marker.
_EMPHASIZED_DATE = re.compile(rf"(?<!{EMPHASIS}){EMPHASIS}++\s*+(?P<date>{_DATE_CORE})\s*+{EMPHASIS}++", re.ASCII)
_BRACKETED_DATE = re.compile(rf"\[\s*(?P<date>{_DATE_CORE})(?:\s*[-–~]\s*[\d.]+)?\s*\]", re.ASCII)
# `发表时间：2019-02-21`, `Date: 2019-02-21`: the curator names the date, so it beats any
# other date-like text in the entry (a citation's publication year, above all).
_LABELLED_DATE = re.compile(
    rf"(?:发表时间|发布时间|发表日期|发布日期|日期|(?<![A-Za-z])(?i:date|published))[{EMPHASIS}\s]*[:：][{EMPHASIS}\s]*"
    rf"(?P<date>{_DATE_CORE})(?![\d])"
)
_LEADING_DATE = re.compile(r"^\s*(?P<date>(?:19|20)\d\d-\d{1,2}(?:-\d{1,2})?)(?![\d.-])", re.ASCII)
_MONTHS = {
    name: number
    for number in range(1, 13)
    for name in (calendar.month_name[number].lower(), calendar.month_abbr[number].lower())
}
_MONTHS["sept"] = 9
_PARENTHESIZED_DATE = re.compile(
    r"\(\s*(?P<date>(?:(?P<month>[A-Za-z]{3,9})\.?\s+)?(?P<year>(?:19|20)\d\d))\s*\)", re.ASCII
)
_SEPARATOR = re.compile(r"[-./]")

_VENUE_LINE = re.compile(
    r"^[A-Z][A-Za-z&]*(?:[ -][A-Za-z&]+)*\s?(?:19|20)\d\d"
    r"(?:\s+(?i:oral|spotlight|poster|workshop|best|paper|short|long|findings|demo|highlight))*$"
)
_RATING = re.compile(r"\$\s*(?:\\(?:bullet|star)\s*)+\$|★+|⭐+")
_RATING_MARK = re.compile(r"\\(?:bullet|star)|★|⭐")
_MARKER = re.compile(
    rf"{LINK}(?:-(?P<dash>[^|{LINK}\s][^|{LINK}]*)|\((?P<paren>[^(){LINK}]*)\)|（(?P<wide>[^（）{LINK}]*)）)"
)
# The `|` between links in a link chain goes with the links. Space runs are
# entered only at their start, which keeps long runs of spaces linear.
_PIPE_AT_LINK = re.compile(rf"(?<!\s)\s*+\|\s*+(?={LINK})|(?<={LINK})\s*+\|")
_EMPTY_PAIR = re.compile(r"\[\s*\]|\(\s*\)|（\s*）")
_ONLY_PUNCTUATION = re.compile(r"^[\s|,;:.，。；：、!?\-–—~*_#>`'\"()\[\]（）【】]*$")
_VENUE_EDGES = " \t|,;:，；：-–—"
_TITLE_TAIL = " \t|,;:，；：-–—([{（【"


@dataclass(frozen=True)
class FoundDate:
    text: str
    precision: str
    year: int
    month: int | None
    day: int | None
    line_index: int
    start: int
    end: int
    emphasized: bool


@dataclass(frozen=True)
class FoundText:
    text: str
    span: Span


def markers(lines: list[str]) -> tuple[dict[int, str], list[Span]]:
    """Qualifiers written right after a link (`-official`, `(Author)`), by link index."""
    found: dict[int, str] = {}
    spans: list[Span] = []
    seen = 0
    for index, line in enumerate(lines):
        for match in _MARKER.finditer(line):
            link_index = seen + line.count(LINK, 0, match.start())
            value = next(v for v in match.group("dash", "paren", "wide") if v is not None).strip()
            if value:
                found[link_index] = value
                spans.append((index, match.start() + 1, match.end()))
        seen += line.count(LINK)
    return found, spans


def noted_date(lines: list[str]) -> FoundDate | None:
    patterns = ((_LABELLED_DATE, False), (_EMPHASIZED_DATE, True), (_BRACKETED_DATE, False), (_LEADING_DATE, False))
    for pattern, emphasized in patterns:
        for index, line in enumerate(lines):
            for match in pattern.finditer(line):
                found = _numeric_date(match, index, emphasized)
                if found:
                    return found
    for index, line in enumerate(lines):
        for match in _PARENTHESIZED_DATE.finditer(line):
            found = _named_month_date(match, index)
            if found:
                return found
    return None


def _numeric_date(match: re.Match[str], line_index: int, emphasized: bool) -> FoundDate | None:
    text = match.group("date")
    parts = [int(part) for part in _SEPARATOR.split(text)]
    if len(set(_SEPARATOR.findall(text))) > 1:
        return None
    year = parts[0]
    month = parts[1] if len(parts) > 1 else None
    day = parts[2] if len(parts) > 2 else None
    if not _is_real_date(year, month, day):
        return None
    precision = ("year", "month", "day")[len(parts) - 1]
    return FoundDate(text, precision, year, month, day, line_index, match.start(), match.end(), emphasized)


def _named_month_date(match: re.Match[str], line_index: int) -> FoundDate | None:
    name = match.group("month")
    month = _MONTHS.get(name.lower()) if name else None
    if name and month is None:
        return None
    year = int(match.group("year"))
    precision = "month" if month else "year"
    return FoundDate(match.group("date"), precision, year, month, None, line_index, match.start(), match.end(), False)


def _is_real_date(year: int, month: int | None, day: int | None) -> bool:
    if month is None:
        return True
    if not 1 <= month <= 12:
        return False
    return day is None or 1 <= day <= calendar.monthrange(year, month)[1]


def venue(lines: list[str], date: FoundDate | None) -> FoundText | None:
    """The venue: the text just before an emphasized date, else a line that is only a venue."""
    if date is not None and date.emphasized:
        line = lines[date.line_index]
        start = line.rfind(LINK, 0, date.start) + 1
        text = _clean(line[start : date.start]).strip(_VENUE_EDGES)
        if text:
            return FoundText(text, (date.line_index, start, date.start))
        end = line.find(LINK, date.end)
        end = len(line) if end < 0 else end
        text = _clean(line[date.end : end]).strip(_VENUE_EDGES)
        if _VENUE_LINE.match(text):
            return FoundText(text, (date.line_index, date.end, end))
    for index, line in enumerate(lines[1:], start=1):
        end = line.find(LINK)
        end = len(line) if end < 0 else end
        text = _clean(line[:end]).strip()
        if _VENUE_LINE.match(text):
            return FoundText(text, (index, 0, end))
    return None


def rating(lines: list[str]) -> FoundText | None:
    for index, line in enumerate(lines):
        match = _RATING.search(line)
        if match:
            return FoundText(match.group(0), (index, match.start(), match.end()))
    return None


def rating_count(rating_text: str) -> int:
    return len(_RATING_MARK.findall(rating_text))


def leading_text(line: str) -> str:
    """Text before the first link of a line, as a fallback title."""
    end = line.find(LINK)
    return _clean(line[: len(line) if end < 0 else end]).rstrip(_TITLE_TAIL).strip()


def notes(lines: list[str], used: list[Span]) -> str | None:
    """Whatever text is left once links, markers, date, venue and rating are taken out."""
    kept: list[str] = []
    for index, line in enumerate(lines):
        note = _clean(_PIPE_AT_LINK.sub(" ", _without(line, [(s, e) for i, s, e in used if i == index])))
        note = _EMPTY_PAIR.sub("", note).strip().lstrip("-–—|,，").rstrip("|").strip()
        if note and not _ONLY_PUNCTUATION.match(note):
            kept.append(note)
    return "\n".join(kept) or None


def _without(line: str, spans: list[tuple[int, int]]) -> str:
    out: list[str] = []
    position = 0
    for start, end in sorted(spans):
        if start >= position:
            out.append(line[position:start])
            position = end
        else:
            position = max(position, end)
    out.append(line[position:])
    return "".join(out)


def _clean(text: str) -> str:
    return "".join(" " if char == LINK else "" if char in MARKERS else char for char in text)
