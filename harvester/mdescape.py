"""Writing strangers' text and URLs into markdown so that they stay text and one URL.

`fix` and `export` write titles from arXiv, venues, notes and URLs from link
checks into markdown. Each is escaped for where it lands, so the markdown
parses (CommonMark with GFM tables, as harvester and GitHub read it) to the
links that were meant and no raw HTML:

- text: `\\`, backticks, emphasis marks, brackets, `<>`, `&`, `|` and `#` are
  backslash-escaped and whitespace runs become one space; `block_lines` also
  escapes what would start a list, quote or heading at a line's start.
- URLs: only http(s), made well-formed first (`weburl.web_url`: spaces, quotes,
  `<>`, brackets and non-ASCII percent-encoded), then escaped for the position:
  parentheses in an inline or reference destination, `&` where it would read
  as an entity. A bare URL that markdown would cut or emphasize is refused.
"""

from __future__ import annotations

import re

from .errors import HarvesterError
from .weburl import UnsafeUrl, web_url

INLINE = "inline link destination"  # [text](URL)
ANGLE = "angle-bracket link destination"  # [text](<URL>), [label]: <URL>
AUTOLINK = "autolink"  # <URL>
REFERENCE = "reference definition"  # [label]: URL
BARE = "bare URL"  # URL in running text
POSITIONS = (INLINE, ANGLE, AUTOLINK, REFERENCE, BARE)

_TEXT_SPECIALS = re.compile(r"([\\`*_\[\]<>&|~#])")
_BLOCK_START = re.compile(r"^([-+=])|^(\d{1,9})([.)])")
_ENTITY_START = re.compile(r"&(?=#[0-9]{1,7};|#[xX][0-9A-Fa-f]{1,6};|[A-Za-z][A-Za-z0-9]{0,31};)")
# Characters that end, emphasize or escape inside running text; a bare URL holding one is refused.
_BARE_UNSAFE = re.compile(r"[()\[\]<>*`\\]|(?<![A-Za-z0-9])[_~]|[_~](?![A-Za-z0-9])")
_BARE_TRAILING = ".,:;!?'\""


class UnsafeForMarkdown(HarvesterError, ValueError):
    """A URL that cannot be written in that position of the markdown without changing it."""


def text(value: str) -> str:
    """One line of literal text, safe in a paragraph, a heading, a table cell or a link's text."""
    spaced = " ".join(value.split())
    # Most text has nothing to escape: a search is cheaper than a substitution that finds nothing.
    return _TEXT_SPECIALS.sub(r"\\\1", spaced) if _TEXT_SPECIALS.search(spaced) else spaced


def link_text(value: str) -> str:
    """Text safe inside `[...]` of a link: the title stays one label and no link starts inside it."""
    return text(value)


def block_lines(value: str) -> list[str]:
    """Several lines of literal text (notes): each escaped, none starting a block of its own."""
    return [_BLOCK_START.sub(_escape_block_start, text(line)) for line in value.splitlines()]


def url_in(position: str, url: str) -> str:
    """`url` as it must be written in `position`; raises UnsafeForMarkdown when it cannot be."""
    if position not in POSITIONS:
        raise ValueError(f"unknown markdown position {position!r}")
    try:
        safe = web_url(url)
    except UnsafeUrl as error:
        raise UnsafeForMarkdown(str(error)) from None
    if position in (INLINE, REFERENCE):
        if "(" not in safe and ")" not in safe and "&" not in safe:
            return safe  # nothing to escape, as for most URLs
        return _ENTITY_START.sub(r"\\&", re.sub(r"([()])", r"\\\1", safe))
    if position == ANGLE:
        return _ENTITY_START.sub(r"\\&", safe)
    if position == BARE:
        _check_bare(safe)
    return safe


def inline_link(label: str, url: str | None) -> str:
    """`[label](url)` for markdown harvester writes itself, or the label alone when the URL cannot be a safe link."""
    try:
        destination = url_in(INLINE, url) if url else None
    except UnsafeForMarkdown:
        destination = None
    text = link_text(label)
    return f"[{text}]({destination})" if destination else text


def _check_bare(url: str) -> None:
    unsafe = _BARE_UNSAFE.search(url) or _ENTITY_START.search(url)
    if unsafe:
        raise UnsafeForMarkdown(f"{unsafe.group(0)!r} would change the markdown around a bare URL")
    if url.endswith(tuple(_BARE_TRAILING)):
        raise UnsafeForMarkdown(f"a bare URL ending in {url[-1]!r} would lose it to the sentence")


def _escape_block_start(match: re.Match[str]) -> str:
    if match.group(1):
        return "\\" + match.group(1)
    return match.group(2) + "\\" + match.group(3)


# One search finds whether NUL-separated values hold anything `text` or `block_lines` would
# change (the exports test a whole entry at once, and write the values as they are when nothing
# is): a character outside those both leave alone (printable ASCII but `text`'s specials, and
# anything from U+00A1 on but whitespace and line breaks), two spaces, a space at a value's
# either end, or (for the first value, `block_lines`') a block's start or a digit. Conservative:
# refused values may come back unchanged, they just take the slower path.
# tests/test_export_fast_paths.py holds it to `text` and `block_lines` on every code point up to
# U+3100, every whitespace and every digit.
CHANGED = re.compile(
    "[^ -\"$-%'-)+-;=?-Z^a-{}\x00\xa1-\u167f\u1681-\u1fff\u200b-\u2027\u202a-\u202e\u2030-\u205e\u2060-\u2fff\u3001-\U0010ffff]"
)
_BLOCK_MARKS = tuple(" -+=")


def as_they_are(values: str) -> bool:
    """Whether `block_lines` leaves the first of these NUL-separated values one line as it is and `text` the rest."""
    # One character class is one fast scan; the tests for spaces and starts are substring tests.
    return not (
        CHANGED.search(values)
        or "  " in values
        or "\0 " in values
        or " \0" in values
        or values.startswith(_BLOCK_MARKS)
        or values.endswith(" ")
        or values[:1].isdigit()
    )
