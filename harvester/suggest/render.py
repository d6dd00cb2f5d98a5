"""Suggestions as people read them: a table per section, markdown, or JSON (pure)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import Any

from ..mdescape import link_text, text

FIELDS = (
    "list_path",
    "section",
    "arxiv_id",
    "title",
    "score",
    "sources",
    "words",
    "topic_words",
    "shared_categories",
    "resembles",
    "published",
    "status",
    "first_seen",
    "last_seen",
    "decided_at",
    "reason",
)


def evidence(row: Mapping[str, Any]) -> str:
    """One line: which words it shares, which listed papers it is closest to, which sources."""
    parts = []
    if row.get("words"):
        parts.append("shares " + ", ".join(row["words"]))
    if row.get("topic_words"):
        parts.append("names " + ", ".join(row["topic_words"]))
    if row.get("resembles"):
        parts.append("like " + "; ".join(f"{r['arxiv_id']} {r['title']}" for r in row["resembles"]))
    parts.append("from " + " and ".join(row.get("sources") or []))
    return "; ".join(parts)


def as_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    return {**{k: row.get(k) for k in FIELDS}, "evidence": evidence(row)}


def as_json(rows: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps([as_dict(row) for row in rows], ensure_ascii=False, indent=2)


def as_markdown(rows: Sequence[Mapping[str, Any]]) -> str:
    lines = ["# Suggested papers", ""]
    for (name, section), group in groupby(rows, key=lambda r: (r["list_name"], r["section"])):
        lines += [f"## {text(str(name))}: {text(section)}", ""]
        for row in group:
            lines.append(
                f"- [{link_text(row['title'])}](https://arxiv.org/abs/{row['arxiv_id']}) "
                f"({row['arxiv_id']}, score {row['score']:.2f}): {text(evidence(row))}"
            )
        lines.append("")
    return "\n".join(lines)


def table_rows(rows: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    return [
        [row["list_name"], row["section"], row["arxiv_id"], row["title"], f"{row['score']:.2f}", evidence(row)]
        for row in rows
    ]


def summary_line(summary: Mapping[str, Any]) -> str:
    """What a run asked: per source, sections asked and fresh, requests, new suggestions."""
    parts = [
        f"{name}: {t['asked']} asked, {t['fresh']} fresh, {t['requests_made']} requests, {t['new']} new"
        for name, t in summary["sources"].items()
    ]
    return f"suggest {summary['status']}: {summary['sections']} sections; " + "; ".join(parts)


TABLE_COLUMNS = ["list", "section", "arXiv ID", "title", "score", "evidence"]
