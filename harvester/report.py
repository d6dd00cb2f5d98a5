"""Findings for a person to act on: a rich table for the terminal, markdown, or JSON.

Every renderer takes plain dicts (rows of `findings.open_findings`, or
`dataclasses.asdict` of reconcile findings), grouped by list and section and
ordered by line, each with one sentence saying what to change. Rows of other
kinds (link problems) render through the same path with a generic sentence.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from itertools import groupby
from typing import Any, cast

from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlite_utils import Database

from .acceptances import AcceptanceSet
from .findings import open_findings
from .links import problem_findings
from .output import cell
from .vocabulary import KINDS, Severity, severity_rank


class ReportFormat(StrEnum):
    TABLE = "table"
    MARKDOWN = "markdown"
    JSON = "json"


FORMATS = tuple(ReportFormat)
FIELDS = (
    "key",
    "list_id",
    "list_path",
    "list_name",
    "section",
    "line",
    "entry_id",
    "entry_key",
    "arxiv_id",
    "kind",
    "severity",
    "noted",
    "arxiv_value",
    "suggestion",
    "source",
    "detail",
    "first_seen",
    "last_seen",
    "resolved_at",
)
_SEVERITY_STYLE: dict[str, str] = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def report_rows(
    db: Database, *, include_info: bool = True, accepted: AcceptanceSet | None = None
) -> list[dict[str, Any]]:
    """What `report` shows: open findings and the links to act on, in one shape.

    Findings a curator accepted (while their values stay the same) are left out, so
    every format and `--fail-on` agree.
    """
    rows = without_accepted(open_findings(db) + problem_findings(db), accepted)
    return [row for row in rows if include_info or row["severity"] != Severity.INFO]


def without_accepted(rows: list[dict[str, Any]], accepted: AcceptanceSet | None) -> list[dict[str, Any]]:
    return rows if accepted is None else [row for row in rows if not accepted.silences(row)]


def fails_on(rows: Iterable[Mapping[str, Any]], level: Severity | None) -> bool:
    """Whether `--fail-on level` should fail: some row is as bad as `level` or worse."""
    return level is not None and any(severity_rank(row.get("severity")) <= level.rank for row in rows)


def render_findings(findings: Iterable[Mapping[str, Any] | Any], fmt: str) -> str:
    """`findings` as text in `fmt`: "json", "markdown" or "table" (the rich table, as text)."""
    rows = [as_row(f) for f in findings]
    if fmt == "json":
        return render_json(rows)
    if fmt == "markdown":
        return render_markdown(rows)
    if fmt == "table":
        buffer = io.StringIO()
        print_findings_table(rows, Console(file=buffer, width=160, color_system=None, markup=False))
        return buffer.getvalue()
    raise ValueError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}")


def as_row(finding: Mapping[str, Any] | Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(finding) and not isinstance(finding, type):
        return dataclasses.asdict(finding)
    return dict(cast(Mapping[str, Any], finding))


def action_text(finding: Mapping[str, Any]) -> str:
    """One sentence: what to change in the list."""
    kind = KINDS.get(finding.get("kind") or "")
    template = kind.action if kind else None
    values = {k: finding.get(k) if finding.get(k) is not None else "?" for k in FIELDS}
    if template:
        return template.format(**values)
    suggestion = finding.get("suggestion")
    return f"{finding.get('kind')}: " + (f"use {suggestion}" if suggestion else str(finding.get("detail") or ""))


def render_json(rows: list[dict[str, Any]]) -> str:
    objects = [{**{k: row.get(k) for k in FIELDS}, **row, "action": action_text(row)} for row in _ordered(rows)]
    return json.dumps(objects, ensure_ascii=False, indent=2)


def render_markdown(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "# Findings\n\nNothing to fix.\n"
    out = ["# Findings", "", _counts_line(rows)]
    for list_path, in_list in _by_list(rows):
        out += ["", f"## {list_path}"]
        for section, in_section in _by_section(in_list):
            out += ["", f"### {section or '(no section)'}", ""]
            out += [_markdown_item(row) for row in in_section]
    return "\n".join(out) + "\n"


def print_findings_table(findings: Iterable[Mapping[str, Any] | Any], console: Console) -> None:
    """One rich table per list, rows grouped under their section, by line."""
    rows = [as_row(f) for f in findings]
    if not rows:
        console.print(Text("No open findings."))
        return
    for list_path, in_list in _by_list(rows):
        console.print(_list_table(list_path, in_list))
    console.print(Text(_counts_line(rows).replace("**", "")), highlight=False)


# --- helpers -------------------------------------------------------------------------


def _list_path(row: Mapping[str, Any]) -> str:
    return str(row.get("list_path") or row.get("list_name") or row.get("list_id") or "")


def _ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(
        rows,
        key=lambda r: (
            _list_path(r),
            r.get("line") or 0,
            severity_rank(r.get("severity")),
            r.get("kind") or "",
            r.get("key") or "",
        ),
    )


def _by_list(rows: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    return [(path, list(group)) for path, group in groupby(_ordered(rows), key=_list_path)]


def _by_section(rows: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    # Sections in the order they appear in the file: by their first finding's line.
    sections: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        sections.setdefault(row.get("section") or "", []).append(row)
    return list(sections.items())


def _counts_line(rows: list[dict[str, Any]]) -> str:
    counts = {s: sum(1 for r in rows if r.get("severity") == s) for s in Severity}
    parts = [f"{n} {s}{'s' if n != 1 and s != Severity.INFO else ''}" for s, n in counts.items() if n]
    return f"**{len(rows)} findings**: " + ", ".join(parts)


def _markdown_item(row: dict[str, Any]) -> str:
    arxiv = f" [{row['arxiv_id']}](https://arxiv.org/abs/{row['arxiv_id']})" if row.get("arxiv_id") else ""
    head = f"- line {row.get('line')} · {row.get('severity')} · `{row.get('kind')}`{arxiv}: "
    detail = _md_escape(str(row.get("detail") or ""))
    key = f" · key {_code_span(str(row['key']))}" if row.get("key") else ""
    return head + _md_escape(action_text(row)) + f"  \n  {detail}{key}"


def _code_span(text: str) -> str:
    """`text` as inline code, copyable as is: fenced by more backticks than it holds in a row."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;")


def _list_table(list_path: str, rows: list[dict[str, Any]]) -> Table:
    # Every value is a Text: list names and findings may hold `[...]` that rich would read as markup.
    table = Table(title=cell(list_path), title_justify="left", show_lines=False, expand=False)
    for column, options in (
        ("line", {"justify": "right"}),
        ("severity", {}),
        ("kind", {}),
        ("arXiv", {"no_wrap": True}),
        ("what to do", {"overflow": "fold"}),
    ):
        table.add_column(column, **options)
    for section, in_section in _by_section(rows):
        table.add_section()
        table.add_row("", "", "", "", Text(section or "(no section)", style="bold"))
        for row in in_section:
            severity = row.get("severity") or ""
            table.add_row(
                cell(row.get("line") or ""),
                Text(severity, style=_SEVERITY_STYLE.get(severity, "")),
                cell(row.get("kind")),
                cell(row.get("arxiv_id")),
                cell(action_text(row)),
            )
    return table
