"""A plain awesome-list layout: one bullet per paper, `- [Title](abs URL) - Venue Year. Notes. [code](url)`.

Built from the database's entries alone (no file needed): sections as `##`
headings in list order, arXiv's title and abs link, the published venue (else
the noted one, else "arXiv" and v1's year), the curator's notes on the same
line, and the official code link (else the noted ones). Every piece of text
goes through `mdescape`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import mdescape
from ..venues import parse_noted_venue
from .facts import PaperFacts


def render_awesome(title: str, entries: list[dict[str, Any]], facts: Mapping[str, PaperFacts]) -> str:
    lines = [f"# {mdescape.text(title)}"]
    section = None
    for entry in entries:
        if not entry["is_paper"]:
            continue
        if entry["section"] != section:
            section = entry["section"]
            if section:
                lines += ["", f"## {mdescape.text(section)}", ""]
        lines.append(awesome_line(entry, facts.get(entry["arxiv_id"] or "")))
    return "\n".join(lines).strip() + "\n"


def awesome_line(entry: dict[str, Any], paper: PaperFacts | None) -> str:
    title = paper.title if paper else entry["noted_title"] or entry["arxiv_id"] or "(untitled)"
    url = paper.url if paper else _first_url(entry)
    parts = [f"- {mdescape.inline_link(title, url)}"]
    venue = _venue(entry, paper)
    if venue:
        parts.append(f"- {mdescape.text(venue)}.")
    if entry["notes"]:
        parts.append(mdescape.text(" ".join(entry["notes"].split())))
    codes = [paper.code_url] if paper and paper.code_url else [link["url"] for link in _codes(entry)]
    parts += [mdescape.inline_link("code", code) for code in dict.fromkeys(codes)]
    return " ".join(part for part in parts if part)


def _venue(entry: dict[str, Any], paper: PaperFacts | None) -> str | None:
    if paper and paper.venue:
        return paper.venue
    noted = entry["noted_venue"]
    if noted:
        parsed = parse_noted_venue(noted)
        return noted if parsed is None or parsed.year or paper is None else f"{noted} {paper.v1_date.year}"
    return f"arXiv {paper.v1_date.year}" if paper else None


def _codes(entry: dict[str, Any]) -> list[dict[str, Any]]:
    return [link for link in entry["links"] if link["role"] == "code"]


def _first_url(entry: dict[str, Any]) -> str | None:
    return next((link["url"] for link in entry["links"] if link["role"] in ("title", "paper")), None)
