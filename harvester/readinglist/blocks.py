"""Markdown blocks -> headings and entry candidates, in document order.

An entry candidate is a list item (its own text, without nested lists), a table
body row, or a paragraph or heading outside lists that links somewhere. Nested
list items are candidates of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .inline import EMPHASIS, LINK, InlineText, flatten_inline
from .linkroles import label_role, link_arxiv_id

_LISTS = ("bullet_list", "ordered_list")


@dataclass(frozen=True)
class Heading:
    level: int
    text: str  # the heading's text as written, links shown by their labels
    line: int


@dataclass(frozen=True)
class Candidate:
    kind: str  # "item" | "row" | "paragraph" | "heading" | "post" (a heading and the blocks about its paper)
    line: int
    end_line: int
    text: InlineText
    # For rows: the header of each cell and the cell's text, in column order.
    cells: tuple[tuple[str, InlineText], ...] = ()


Event = Heading | Candidate


# Daily-paper posts write a paper as a linked heading, then its date, tags, notes
# and a citation linking the same paper again; this many blocks are looked at.
MAX_POST_BLOCKS = 8
# markdown-it stops nesting blocks (quotes, lists) and inline links this deep; it
# also bounds the recursion of the walks below, which follow block nesting only.
MAX_NESTING = 20


@dataclass
class BlockNode:
    """A block of the document: its opening token's type, tag and lines, and its blocks.

    Built without recursion (markdown-it's own tree recurses once per nested
    emphasis, so 100k `*` overflow the stack); inline content stays the flat
    token list of its `inline` node, which `flatten_inline` reads in one pass.
    """

    type: str
    tag: str = ""
    map: list[int] | None = None
    token: Token | None = None
    children: list[BlockNode] = field(default_factory=list)


def markdown_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"maxNesting": MAX_NESTING}).enable(["table", "strikethrough"])
    # Keep URLs as written: no percent-encoding, and no dropping of odd schemes.
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    return md


def blocks(md: MarkdownIt, text: str) -> list[Event]:
    events: list[Event] = []
    _walk(block_tree(md.parse(text)).children, events)
    return events


def block_tree(tokens: list[Token]) -> BlockNode:
    root = BlockNode("root")
    open_nodes = [root]
    for token in tokens:
        if token.nesting == 1:
            node = BlockNode(token.type.removesuffix("_open"), token.tag, token.map)
            open_nodes[-1].children.append(node)
            open_nodes.append(node)
        elif token.nesting == -1:
            if len(open_nodes) > 1:
                open_nodes.pop()
        else:
            open_nodes[-1].children.append(BlockNode(token.type, token.tag, token.map, token))
    return root


def _walk(nodes: list[BlockNode], events: list[Event]) -> None:
    index = 0
    while index < len(nodes):
        node = nodes[index]
        index += 1
        if node.type == "heading":
            index += _heading(node, nodes[index:], events)
        elif node.type in _LISTS:
            _list(node, events)
        elif node.type == "table":
            _table(node, events)
        elif node.type == "paragraph":
            _paragraph(node, "paragraph", events)
        elif node.type == "blockquote":
            _blockquote(node, events)


def _heading(node: BlockNode, after: list[BlockNode], events: list[Event]) -> int:
    """Emit the heading (and its entry, when it links somewhere); return how many blocks after it that entry took."""
    text = _inline_of(node)
    line = _first_line(node)
    events.append(Heading(int(node.tag[1:] or 1), _plain(text), line))
    if not text.has_target:
        return 0
    taken = _post_body(text, after)
    if not taken:
        events.append(Candidate("heading", line, line, text))
        return 0
    body = InlineText()
    for block in after[:taken]:
        body = body + _block_text(block)
    events.append(Candidate("post", line, _last_line(after[taken - 1]), text + body))
    return taken


def _post_body(heading: InlineText, after: list[BlockNode]) -> int:
    """How many of the blocks after a linked heading are about its arXiv paper: through the first that links it again.

    Only paragraphs and quotes count, and a block naming another paper first
    means these are separate entries, as they were written.
    """
    paper = _title_paper(heading)
    if paper is None:
        return 0
    for count, block in enumerate(after[:MAX_POST_BLOCKS], start=1):
        if block.type not in ("paragraph", "blockquote"):
            return 0
        named = {found.id for found in map(link_arxiv_id, (link.url for link in _block_text(block).links)) if found}
        if paper in named:
            return count
        if named:
            return 0
    return 0


def _title_paper(heading: InlineText) -> str | None:
    if not heading.links or heading.links[0].bare or label_role(heading.links[0].label) is not None:
        return None
    found = link_arxiv_id(heading.links[0].url)
    return found.id if found else None


def _block_text(block: BlockNode) -> InlineText:
    return _inline_of(block) if block.type == "paragraph" else _own_text(block.children)


def _paragraph(node: BlockNode, kind: str, events: list[Event]) -> None:
    text = _inline_of(node)
    if text.has_target:
        events.append(Candidate(kind, _first_line(node), _last_line(node), text))


def _blockquote(node: BlockNode, events: list[Event]) -> None:
    previous = events[-1] if events else None
    # A quote written right under a list item, with no blank line, is that
    # entry's note (markdown ends the list there, a reader does not).
    if isinstance(previous, Candidate) and previous.kind == "item" and previous.end_line == _first_line(node) - 1:
        events[-1] = replace(previous, end_line=_last_line(node), text=previous.text + _own_text(node.children))
        return
    _walk(node.children, events)


def _list(node: BlockNode, events: list[Event]) -> None:
    for item in node.children:
        own = _own_blocks(item)
        text = _own_text(own)
        if any(line.text.strip() for line in text.lines) or text.links:
            events.append(Candidate("item", _first_line(item), max(_last_line(b) for b in own), text))
        for child in item.children:
            if child.type in _LISTS:
                _list(child, events)


def _own_blocks(item: BlockNode) -> list[BlockNode]:
    own: list[BlockNode] = []
    for child in item.children:
        if child.type in _LISTS:
            break
        own.append(child)
    return own


def _own_text(nodes: list[BlockNode]) -> InlineText:
    text = InlineText()
    for node in nodes:
        if node.type in ("paragraph", "heading"):
            text = text + _inline_of(node)
        elif node.type == "blockquote":
            text = text + _own_text(node.children)
    return text


def _table(node: BlockNode, events: list[Event]) -> None:
    headers: list[str] = []
    for section in node.children:
        for row in section.children:
            cells = [_inline_of(cell, _first_line(row)) for cell in row.children]
            if section.type == "thead":
                headers = [_plain(cell) for cell in cells]
            else:
                _row(row, headers, cells, events)


def _row(row: BlockNode, headers: list[str], cells: list[InlineText], events: list[Event]) -> None:
    text = InlineText()
    for cell in cells:
        text = text + cell
    if text.has_target:
        named = tuple((headers[i] if i < len(headers) else "", cell) for i, cell in enumerate(cells))
        line = _first_line(row)
        events.append(Candidate("row", line, line, text, named))


def _inline_of(node: BlockNode, line: int | None = None) -> InlineText:
    inline = next((child for child in node.children if child.type == "inline"), None)
    if inline is None or inline.token is None:
        return InlineText()
    start = line if line is not None else _first_line(inline)
    return flatten_inline(inline.token.children, start)


def _plain(text: InlineText) -> str:
    """The text with each link replaced by its label."""
    labels = iter(link.label for link in text.links)
    out: list[str] = []
    for line in text.lines:
        for char in line.text:
            if char == LINK:
                out.append(next(labels, ""))
            elif char != EMPHASIS:
                out.append(char)
        out.append(" ")
    return " ".join("".join(out).split()) if len(text.lines) > 1 else "".join(out).strip()


def _first_line(node: BlockNode) -> int:
    span = _span(node)
    return span[0] + 1 if span else 1


def _last_line(node: BlockNode) -> int:
    span = _span(node)
    return max(span[0] + 1, span[1]) if span else 1


def _span(node: BlockNode) -> tuple[int, int] | None:
    current: BlockNode | None = node
    while current is not None:
        if current.map is not None:
            return current.map[0], current.map[1]
        current = current.children[0] if current.children else None
    return None
