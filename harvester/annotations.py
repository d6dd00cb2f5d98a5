"""Findings as GitHub Actions workflow commands: one annotation per finding, on its line.

`::error file=lists/a.md,line=12,title=harvester title_mismatch::Check the arXiv ID ...`
GitHub reads these from a step's stdout and pins each to the file and line of the
pull request or run. Rows come prepared by `report` (ordered, `action` set,
`list_path` already relative to the lists' root). Pure: rows in, text out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .vocabulary import Severity

# GitHub has three annotation levels; an info finding is a notice.
COMMANDS: dict[str, str] = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """The message after `::`: `%`, CR and LF would end or corrupt the command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value: also `:` (ends the properties) and `,` (ends one property)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(row: Mapping[str, Any]) -> str:
    """One workflow command for one finding."""
    command = COMMANDS.get(str(row.get("severity") or ""), "warning")
    properties = []
    if row.get("list_path"):
        properties.append(("file", str(row["list_path"])))
    if row.get("line"):
        properties.append(("line", str(row["line"])))
    properties.append(("title", f"harvester {row.get('kind') or 'finding'}"))
    head = ",".join(f"{name}={escape_property(value)}" for name, value in properties)
    return f"::{command} {head}::{escape_data(_message(row))}"


def render(rows: Iterable[Mapping[str, Any]]) -> str:
    return "".join(annotation(row) + "\n" for row in rows)


def _message(row: Mapping[str, Any]) -> str:
    # The action says what to change; the detail says why; the key is what `harvester accept` takes.
    lines = [str(row.get("action") or "")]
    if row.get("detail"):
        lines.append(str(row["detail"]))
    if row.get("key"):
        lines.append(f"key: {row['key']}")
    return "\n".join(lines)
