"""Findings as a short markdown summary, fit for a CI job's page (`$GITHUB_STEP_SUMMARY`).

Counts per severity and per kind, then one table row per finding (`list:line`,
severity, kind, what to do, its key), cut after `limit` rows with a line saying
how many more there are: a job summary has a size limit, and thousands of rows
help nobody. Rows come prepared by `report`. Pure: rows in, text out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from . import mdescape
from .vocabulary import KINDS, Severity

DEFAULT_LIMIT = 200


def render(rows: Sequence[Mapping[str, Any]], limit: int = DEFAULT_LIMIT) -> str:
    if not rows:
        return "# Findings\n\nNothing to fix.\n"
    out = ["# Findings", "", _counts_line(rows), "", *_kinds_table(rows), "", *_findings_table(rows[:limit])]
    if len(rows) > limit:
        more = len(rows) - limit
        out += ["", f"… and {more} more finding{'s' if more != 1 else ''} (`harvester report` lists them all)."]
    return "\n".join(out) + "\n"


def _counts_line(rows: Sequence[Mapping[str, Any]]) -> str:
    return f"**{len(rows)} findings**: {severity_counts(rows)}"


def severity_counts(rows: Sequence[Mapping[str, Any]]) -> str:
    """`1 error, 2 warnings, 3 info`: the findings per severity, worst first (also `report`'s table)."""
    counts = Counter(str(row.get("severity")) for row in rows)
    return ", ".join(f"{counts[s]} {_plural(s, counts[s])}" for s in Severity if counts[s])


def _plural(severity: Severity, count: int) -> str:
    return severity.value if count == 1 or severity == Severity.INFO else severity.value + "s"


def _kinds_table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    counts = Counter(str(row.get("kind")) for row in rows)
    # Known kinds in the vocabulary's order, then any other, by name.
    order = [name for name in KINDS if name in counts] + sorted(set(counts) - set(KINDS))
    lines = ["| kind | severity | count |", "|---|---|---:|"]
    for name in order:
        severity = KINDS[name].severity.value if name in KINDS else ""
        lines.append(f"| {_cell_code(name)} | {severity} | {counts[name]} |")
    return lines


def _findings_table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = ["| where | severity | kind | what to do | key |", "|---|---|---|---|---|"]
    for row in rows:
        where = f"{row.get('list_path') or ''}:{row.get('line') or ''}"
        lines.append(
            "| "
            + " | ".join(
                [
                    mdescape.text(where),
                    mdescape.text(str(row.get("severity") or "")),
                    _cell_code(str(row.get("kind") or "")),
                    mdescape.text(str(row.get("action") or "")),
                    _cell_code(str(row["key"])) if row.get("key") else "",
                ]
            )
            + " |"
        )
    return lines


def _cell_code(text: str) -> str:
    """`text` as inline code in a table cell, copyable as is (a key for `harvester accept`).

    Fenced by more backticks than it holds in a row; `|` escaped, since GFM ends the
    cell there even inside a code span (and removes the backslash again).
    """
    text = " ".join(text.split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text.replace('|', chr(92) + '|')}{pad}{fence}"
