"""Findings for a person or a CI to act on: an aligned table, JSON, a markdown summary,
GitHub annotations or SARIF.

Every renderer takes plain dicts (rows of `findings.open_findings`, or
`dataclasses.asdict` of reconcile findings), ordered by list and line, each with
one sentence saying what to change. Rows of other kinds (link problems) render
through the same path with a generic sentence. Given the lists' root, every
list's path is shown relative to it. The CI formats live in their own modules
(`jobsummary`, `annotations`, `sarif`); this one prepares their rows.
"""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Iterable, Mapping
from itertools import groupby
from pathlib import Path
from typing import Any, cast

from rich.console import Console
from rich.text import Text
from sqlite_utils import Database

from . import annotations as github_annotations  # the module; `annotations` is the __future__ feature here
from . import jobsummary, sarif
from .acceptances import AcceptanceSet
from .findings import open_findings
from .formats import ReportFormat
from .links import problem_findings
from .paths import relative_to_root
from .vocabulary import KINDS, Severity, severity_rank

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


def render_findings(findings: Iterable[Mapping[str, Any] | Any], fmt: str, root: Path | None = None) -> str:
    """`findings` as text in `fmt` (a `ReportFormat`; "table" is the aligned table, as text).

    With `root`, every list's path is shown relative to it (see `paths.relative_to_root`).
    """
    rows = with_relative_paths([as_row(f) for f in findings], root)
    if fmt == ReportFormat.JSON:
        return render_json(rows)
    if fmt == ReportFormat.MARKDOWN:
        return jobsummary.render(prepared(rows))
    if fmt == ReportFormat.GITHUB:
        return github_annotations.render(prepared(rows))
    if fmt == ReportFormat.SARIF:
        return sarif.render(prepared(rows), root.resolve().as_uri() if root is not None else None)
    if fmt == ReportFormat.TABLE:
        buffer = io.StringIO()
        print_findings_table(rows, Console(file=buffer, width=160, color_system=None, markup=False))
        return buffer.getvalue()
    raise ValueError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}")


def with_relative_paths(rows: list[dict[str, Any]], root: Path | None) -> list[dict[str, Any]]:
    """`rows` with `list_path` relative to the lists' root (unchanged without a root)."""
    if root is None:
        return rows
    return [
        {**row, "list_path": relative_to_root(row["list_path"], root)} if row.get("list_path") else row for row in rows
    ]


def prepared(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as the CI renderers take them: in report order, each with its `action` sentence."""
    return [{**row, "action": action_text(row)} for row in _ordered(rows)]


def as_row(finding: Mapping[str, Any] | Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(finding) and not isinstance(finding, type):
        return dataclasses.asdict(finding)
    return dict(cast(Mapping[str, Any], finding))


def action_text(finding: Mapping[str, Any]) -> str:
    """One sentence: what to change in the list."""
    kind = KINDS.get(finding.get("kind") or "")
    template = kind.action if kind else None
    if template:
        return template.format_map(_Shown(finding))
    suggestion = finding.get("suggestion")
    return f"{finding.get('kind')}: " + (f"use {suggestion}" if suggestion else str(finding.get("detail") or ""))


class _Shown(dict[str, Any]):
    """A finding's values as an action sentence names them: "?" for one it lacks."""

    def __init__(self, finding: Mapping[str, Any]) -> None:
        super().__init__(finding)

    def __missing__(self, key: str) -> str:
        return "?"

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        return "?" if value is None else value


def render_json(rows: list[dict[str, Any]]) -> str:
    """A JSON array, one finding per line: each object encoded by json's C encoder (an
    indented dump goes through its pure-Python one, seconds for a large corpus)."""
    objects = [{**{k: row.get(k) for k in FIELDS}, **row, "action": action_text(row)} for row in _ordered(rows)]
    if not objects:
        return "[]"
    return "[\n" + ",\n".join(json.dumps(o, ensure_ascii=False) for o in objects) + "\n]"


def print_findings_table(findings: Iterable[Mapping[str, Any] | Any], console: Console) -> None:
    """Per list, rows grouped under their section, by line, in aligned columns.

    Plain aligned text written straight to the console's file, not a rich Table: a
    table measures and styles every cell before printing the first, which took
    minutes for a large corpus's findings. Values are never read as markup.
    """
    rows = [as_row(f) for f in findings]
    if not rows:
        console.print(Text("No open findings."))
        return
    out = []
    for list_path, in_list in _by_list(rows):
        out += _list_lines(list_path, in_list)
    out.append(f"{len(rows)} findings: {jobsummary.severity_counts(rows)}")
    console.file.write("\n".join(out) + "\n")


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


_TABLE_COLUMNS = ("line", "severity", "kind", "arXiv", "what to do")


def _list_lines(list_path: str, rows: list[dict[str, Any]]) -> list[str]:
    cells = [
        (
            str(row.get("line") or ""),
            str(row.get("severity") or ""),
            str(row.get("kind") or ""),
            str(row.get("arxiv_id") or ""),
        )
        for row in rows
    ]
    widths = [max(len(header), *(len(c[i]) for c in cells)) for i, header in enumerate(_TABLE_COLUMNS[:4])]

    def line(values: tuple[str, ...], last: str) -> str:
        first, *rest = values
        padded = [first.rjust(widths[0])] + [v.ljust(w) for v, w in zip(rest, widths[1:], strict=True)]
        return "  ".join([*padded, last])

    out = ["", list_path, line(_TABLE_COLUMNS[:4], _TABLE_COLUMNS[4])]
    by_row = {id(row): values for row, values in zip(rows, cells, strict=True)}
    for section, in_section in _by_section(rows):
        out.append(f"-- {section or '(no section)'}")
        out += [line(by_row[id(row)], action_text(row)) for row in in_section]
    return out
