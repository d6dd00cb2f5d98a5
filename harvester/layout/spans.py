"""Where an entry's pieces sit in its source text: inline links, the noted date, plain text.

The parser reports what an entry says, not where; the layout needs both, so the
pieces are found again in the entry's own source text by their exact written
form. A piece that cannot be placed exactly once is left alone by the callers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..readinglist import Entry, Link

# `[label](destination "title")`: labels may hold escapes and one level of brackets
# (a badge image), destinations escapes and one level of balanced parentheses.
_INLINE_LINK = re.compile(
    r"\[(?P<label>(?:[^\[\]\\\r\n]|\\.|\[(?:[^\[\]\\\r\n]|\\.)*\])*)\]"
    r"\(\s*(?:<(?P<angle>[^<>\r\n]*)>|(?P<url>(?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.)*\))*))"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)"
)
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
LINE_END = re.compile(r"\r\n|\r|\n")
# What ends a line on purpose: two or more spaces, `<br>`, a backslash (markdown line breaks).
_HARD_BREAK = re.compile(r"(?:[ \t]*<br\s*/?>|\\| {2,}|\t+)[ \t]*$", re.IGNORECASE)


@dataclass(frozen=True)
class LinkSpan:
    start: int  # the whole `[label](url)`
    end: int
    label_start: int
    label_end: int
    url_start: int
    url_end: int
    label: str  # unescaped, whitespace collapsed
    url: str  # unescaped


def unescape(text: str) -> str:
    return _ESCAPED.sub(r"\1", text)


def inline_links(text: str) -> list[LinkSpan]:
    spans = []
    for match in _INLINE_LINK.finditer(text):
        group = "angle" if match.group("angle") is not None else "url"
        spans.append(
            LinkSpan(
                match.start(),
                match.end(),
                match.start("label"),
                match.end("label"),
                match.start(group),
                match.end(group),
                " ".join(unescape(match.group("label")).split()),
                unescape(match.group(group) or "").strip(),
            )
        )
    return spans


def placed_links(text: str, links: Sequence[Link]) -> dict[int, LinkSpan]:
    """The entry's links (by index) found in its text: same URL, same label, in order."""
    spans = inline_links(text)
    placed: dict[int, LinkSpan] = {}
    used: set[int] = set()
    for index, link in enumerate(links):
        label = " ".join(link.label.split())
        for number, span in enumerate(spans):
            if number not in used and span.url == link.url.strip() and (span.label == label or not label):
                placed[index] = span
                used.add(number)
                break
    return placed


def find_once(text: str, needle: str, outside: Sequence[tuple[int, int]] = ()) -> tuple[int, int] | None:
    """The only place `needle` stands as a whole word outside the given spans; None when none or several."""
    if not needle:
        return None
    pattern = re.compile(r"(?<![\w/.\-])" + re.escape(needle) + r"(?![\w/\-])")
    found = [m.span() for m in pattern.finditer(text) if not any(a <= m.start() < b for a, b in outside)]
    return found[0] if len(found) == 1 else None


def link_areas(text: str) -> list[tuple[int, int]]:
    """Every inline link's whole span: dates and titles inside them are not the entry's own."""
    return [(span.start, span.end) for span in inline_links(text)]


def line_ending(text: str, default: str = "\n") -> str:
    match = LINE_END.search(text)
    return match.group(0) if match else default


def hard_break(line: str) -> str:
    """How a line ends on purpose (`   `, `<br>`, `\\`), or "" when it does not."""
    match = _HARD_BREAK.search(line)
    return match.group(0) if match else ""


def entry_region(text: str, starts: Sequence[int], entry: Entry) -> tuple[int, int]:
    """Character span of the entry's lines in `text`, without the last line's break."""
    start = starts[entry.line - 1]
    end = starts[entry.end_line] if entry.end_line < len(starts) else len(text)
    return start, start + len(text[start:end].rstrip("\r\n"))


def line_starts(text: str) -> list[int]:
    return [0] + [match.end() for match in LINE_END.finditer(text)]
