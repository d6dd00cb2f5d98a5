"""Inline markdown (markdown-it tokens) -> source lines of text with link placeholders.

Field extraction (dates, venues, markers, notes) works on one source line at a
time and needs to know where each link sat, so every link becomes LINK in the
line text and its details go to a side list in order of appearance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it.token import Token

# Control characters cannot survive into token text (the parser strips them
# from the input first, and markdown-it turns NUL into U+FFFD), so they are
# safe markers.
LINK = "\x00"
EMPHASIS = "\x01"
MARKERS = LINK + EMPHASIS

# Bare URLs in running text; a careful reader follows them like links.
_BARE_URL = re.compile(r"https?://[^\s<>\"'\[\]()（）【】，。；、｜|\x00-\x1f]+", re.IGNORECASE)
_URL_TAIL = ".,;:!?'\"*_~"
_HTML_HREF = re.compile(r"""^<a\s[^>]*?href\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class RawLink:
    url: str
    label: str
    line: int
    bare: bool  # an autolink, a bare URL or an HTML anchor: no label of its own


@dataclass(frozen=True)
class InlineLine:
    number: int  # 1-based source line
    text: str  # the line's text; LINK stands for the next link, EMPHASIS for * or _ runs


@dataclass(frozen=True)
class InlineText:
    lines: tuple[InlineLine, ...] = ()
    links: tuple[RawLink, ...] = ()

    def __add__(self, other: InlineText) -> InlineText:
        return InlineText(self.lines + other.lines, self.links + other.links)

    @property
    def has_target(self) -> bool:
        """True when some link points somewhere other than this same page."""
        return any(link.url.strip() and not link.url.startswith("#") for link in self.links)


@dataclass
class _Builder:
    line: int
    lines: list[InlineLine] = field(default_factory=list)
    links: list[RawLink] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    pending_text: list[str] = field(default_factory=list)
    label: list[str] | None = None
    href: str = ""
    bare: bool = False
    link_line: int = 0

    def flush_text(self) -> None:
        text = "".join(self.pending_text)
        self.pending_text.clear()
        position = 0
        for match in _BARE_URL.finditer(text):
            url = match.group(0).rstrip(_URL_TAIL)
            self.parts.append(text[position : match.start()])
            self.parts.append(LINK)
            self.links.append(RawLink(url, "", self.line, True))
            position = match.start() + len(url)
        self.parts.append(text[position:])

    def end_line(self) -> None:
        self.flush_text()
        self.lines.append(InlineLine(self.line, "".join(self.parts)))
        self.parts.clear()
        self.line += 1


def flatten_inline(children: list[Token] | None, first_line: int) -> InlineText:
    builder = _Builder(line=first_line)
    for token in children or []:
        _take(builder, token)
    builder.end_line()
    return InlineText(tuple(builder.lines), tuple(builder.links))


def _take(builder: _Builder, token: Token) -> None:
    if builder.label is not None:
        _take_in_label(builder, token)
    elif token.type == "text":
        builder.pending_text.append(token.content)
    elif token.type in ("softbreak", "hardbreak"):
        builder.end_line()
    elif token.type == "link_open":
        _open_link(builder, token)
    else:
        builder.flush_text()
        _take_other(builder, token)


def _open_link(builder: _Builder, token: Token) -> None:
    builder.flush_text()
    builder.parts.append(LINK)
    builder.label = []
    builder.href = str(token.attrs.get("href", ""))
    builder.bare = token.markup in ("autolink", "linkify")
    builder.link_line = builder.line


def _take_in_label(builder: _Builder, token: Token) -> None:
    assert builder.label is not None
    if token.type == "link_close":
        label = "" if builder.bare else " ".join("".join(builder.label).split())
        builder.links.append(RawLink(builder.href, label, builder.link_line, builder.bare))
        builder.label = None
    elif token.type in ("softbreak", "hardbreak"):
        builder.label.append(" ")
        builder.line += 1
    elif token.type in ("text", "code_inline"):
        # An image's alt text is not the link's label: a badge has no label.
        builder.label.append(token.content)


def _take_other(builder: _Builder, token: Token) -> None:
    if token.type in ("em_open", "em_close", "strong_open", "strong_close"):
        builder.parts.append(EMPHASIS)
    elif token.type == "code_inline":
        builder.parts.append(token.content)
    elif token.type == "html_inline":
        _take_html(builder, token)
    elif token.type not in ("image", "s_open", "s_close") and "\n" not in token.content:
        builder.parts.append(token.content)


def _take_html(builder: _Builder, token: Token) -> None:
    href = _HTML_HREF.match(token.content)
    if href:
        builder.parts.append(LINK)
        builder.links.append(RawLink(href.group(1), "", builder.line, True))
    # A tag may span lines; later tokens must still land on their own lines.
    for _ in range(token.content.count("\n")):
        builder.end_line()
