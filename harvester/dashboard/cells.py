"""How the dashboard shows one table cell: arXiv IDs, URLs and `list:line` places as links (pure).

Each function returns the cell's HTML, or None to leave the cell to Datasette.
Every value is escaped here; the caller marks the result safe.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import escape
from typing import Any
from urllib.parse import quote

from ..ids import abs_url, is_valid_arxiv_id

ARXIV_COLUMNS = ("arxiv_id", "subject")  # `subject` is the arXiv ID in recent_changes, else a title
PLACES_COLUMN = "used_at"  # link_problems: "list.md:12, other.md:7"
_URL = re.compile(r"https?://\S+\Z")


def link(href: str, text: str) -> str:
    return f'<a href="{escape(href)}">{escape(text)}</a>'


def place_url(database_url: str, list_ref: str | int, line: int) -> str:
    """The dashboard's address of line `line` of a list (it redirects to the entry there)."""
    return f"{database_url}/-/at/{quote(str(list_ref), safe='')}/{line}"


def list_url(database_url: str, list_id: int) -> str:
    return f"{database_url}/-/list/{list_id}"


def arxiv_link(value: str) -> str | None:
    return link(abs_url(value), value) if is_valid_arxiv_id(value) else None


def url_link(value: str) -> str | None:
    value = value.strip()
    return f'<a href="{escape(value)}" rel="nofollow noopener">{escape(value)}</a>' if _URL.match(value) else None


def places_html(value: str, database_url: str) -> str:
    """`a.md:12, b.md:7` with each place a link; a part that is not `name:line` stays text."""
    parts = []
    for place in value.split(", "):
        name, _, line = place.rpartition(":")
        parts.append(
            link(place_url(database_url, name, int(line)), place) if name and line.isdigit() else escape(place)
        )
    return ", ".join(parts)


def cell_html(column: str, value: Any, row: Mapping[str, Any], database_url: str) -> str | None:
    """The cell as a link when it names a paper, a URL or a place in a list; None otherwise."""
    if isinstance(value, str):
        if column in ARXIV_COLUMNS:
            return arxiv_link(value)
        if column == PLACES_COLUMN:
            return places_html(value, database_url)
        return url_link(value)
    if column == "line" and isinstance(value, int) and not isinstance(value, bool):
        list_ref = _field(row, "list_id") or _field(row, "list")
        if isinstance(list_ref, int | str) and not isinstance(list_ref, bool) and str(list_ref):
            return link(place_url(database_url, list_ref, value), str(value))
    return None


def _field(row: Mapping[str, Any], name: str) -> Any:
    # Datasette passes sqlite3.Row objects (IndexError for a missing name), or tuples in query results.
    try:
        return row[name]
    except (IndexError, KeyError, TypeError, AttributeError):
        return None
