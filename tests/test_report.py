"""Reports: JSON with one object per finding, markdown and a terminal table a person can act on."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console
from test_reconcile_db import NOW, import_file, load_papers, new_db
from test_reconcile_seed import SEED, seed_input

from harvester.findings import open_findings
from harvester.reconcile import reconcile
from harvester.reconciling import run_reconcile
from harvester.report import FIELDS, action_text, print_findings_table, render_findings


@pytest.fixture
def rows(tmp_path: Path) -> list[dict]:
    path = tmp_path / "model-compression.md"
    path.write_bytes(SEED.read_bytes())
    db = new_db(tmp_path / "h.db")
    import_file(db, path)
    load_papers(db)
    run_reconcile(db, now=NOW)
    return open_findings(db)


def test_json_has_one_object_per_finding_with_every_field(rows: list[dict]) -> None:
    objects = json.loads(render_findings(rows, "json"))
    assert len(objects) == len(rows) == 28  # 27 + category_suspect for 1905.07376
    assert all(set(FIELDS) | {"action"} == set(o) for o in objects)
    date = next(o for o in objects if o["kind"] == "date_mismatch")
    assert {k: date[k] for k in ("line", "section", "arxiv_id", "severity", "noted", "suggestion", "source")} == {
        "line": 37,
        "section": "3 剪枝",
        "arxiv_id": "1907.00262",
        "severity": "warning",
        "noted": "2019-01-29",
        "suggestion": "2019-06-29",
        "source": "arxiv",
    }
    assert (date["first_seen"], date["resolved_at"]) == ("2026-01-10T03:00:00Z", None)
    assert date["action"] == "Change the date 2019-01-29 to 2019-06-29"


def test_markdown_summary_counts_by_severity_and_kind_then_lists_findings_by_line(rows: list[dict]) -> None:
    text = render_findings(rows, "markdown", root=Path(rows[0]["list_path"]).parent)
    lines = text.splitlines()
    assert lines[:3] == ["# Findings", "", "**28 findings**: 22 warnings, 6 info"]
    assert "| `mirror_link` | warning | 17 |" in lines
    assert "| `date_mismatch` | warning | 1 |" in lines
    kinds = [line for line in lines if line.startswith("| `")]
    assert sum(int(line.rsplit("|", 2)[1]) for line in kinds) == 28
    assert (
        "| model-compression.md:37 | warning | `date_mismatch` | Change the date 2019-01-29 to 2019-06-29 | "
        "`1:arxiv:1907.00262:date_mismatch` |"
    ) in lines
    where = [line.split(" | ")[0] for line in lines if line.startswith("| model-compression.md:")]
    assert len(where) == 28
    assert [int(w.rsplit(":", 1)[1]) for w in where] == sorted(int(w.rsplit(":", 1)[1]) for w in where)


def test_markdown_summary_is_capped_with_a_line_saying_how_many_more(rows: list[dict]) -> None:
    from harvester import jobsummary
    from harvester.report import prepared

    text = jobsummary.render(prepared(rows), limit=10)
    assert sum(1 for line in text.splitlines() if line.startswith("| /")) == 10
    assert text.rstrip().endswith("… and 18 more findings (`harvester report` lists them all).")
    assert "more finding" not in jobsummary.render(prepared(rows), limit=28)


def test_table_names_what_to_change(rows: list[dict]) -> None:
    buffer = io.StringIO()
    print_findings_table(rows, Console(file=buffer, width=200, color_system=None))
    text = buffer.getvalue()
    assert rows[0]["list_path"] in text
    assert "Change the date 2019-01-29 to 2019-06-29" in text
    assert 'Fix the title to "Trained Rank Pruning for Efficient Deep Neural Networks"' in text
    assert "Change the venue NIPS 2019 to ICIP 2019" in text
    assert text.index("3 剪枝") < text.index("Change the date") < text.index("5 低秩分解")
    assert render_findings(rows, "table").count("mirror_link") == 17


def test_reconcile_findings_render_without_the_database() -> None:
    objects = json.loads(render_findings(reconcile(seed_input()), "json"))
    assert len(objects) == 27
    assert objects[0]["list_path"] == "seed.md"


def test_empty_reports() -> None:
    assert json.loads(render_findings([], "json")) == []
    assert render_findings([], "markdown") == "# Findings\n\nNothing to fix.\n"
    assert render_findings([], "table").strip() == "No open findings."


def test_rows_of_other_kinds_render_generically() -> None:
    row = {
        "kind": "moved",
        "severity": "warning",
        "list_path": "l.md",
        "section": "s",
        "line": 3,
        "noted": "http://a.example/x",
        "suggestion": "https://b.example/x",
        "detail": "301 to b",
    }
    assert action_text(row) == "moved: use https://b.example/x"
    assert "moved: use https://b.example/x" in render_findings([row], "markdown")
    assert "| `moved` |  | 1 |" in render_findings([row], "markdown")


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown report format 'csv'"):
        render_findings([], "csv")
