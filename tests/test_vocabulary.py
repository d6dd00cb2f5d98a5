"""The vocabulary is defined once: every kind, verdict and status reaches each reader from the registry alone."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from harvester import vocabulary
from harvester.fix import EDITORS
from harvester.ids import RETIRED_MIRROR_HOSTS, host_of
from harvester.report import action_text, fails_on, render_findings
from harvester.store import ensure_db_shape, open_db
from harvester.vocabulary import (
    KINDS,
    PROBLEM_VERDICTS,
    QUIET_VERDICTS,
    VERDICT_KINDS,
    Kind,
    RunStatus,
    Severity,
    Verdict,
    kinds_table,
)
from tests.seeddb import build_seed_db

ROOT = Path(__file__).parent.parent


def _finding(kind: str, severity: str) -> dict[str, object]:
    return {
        "kind": kind,
        "severity": severity,
        "list_path": "l.md",
        "line": 3,
        "arxiv_id": "1907.05642",
        "noted": "NOTED",
        "arxiv_value": "ARXIV",
        "suggestion": "SUGGESTION",
        "key": kind,
    }


def test_a_kind_added_to_a_scratch_registry_reaches_report_fail_on_and_the_readme_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scratch = Kind(
        "scratch_kind",
        Severity.ERROR,
        "a kind only this test knows",
        "Do the scratch thing to {noted}",
        "the scratch value",
        fixable=False,
    )
    monkeypatch.setitem(vocabulary.KINDS, scratch.name, scratch)
    finding = _finding("scratch_kind", "error")
    assert action_text(finding) == "Do the scratch thing to NOTED"
    assert "Do the scratch thing to NOTED" in render_findings([finding], "markdown")
    assert fails_on([finding], Severity.ERROR)
    assert "| `scratch_kind` | error | a kind only this test knows | the scratch value |" in kinds_table()


@pytest.mark.parametrize("name", list(KINDS))
def test_every_kind_has_its_own_action_sentence(name: str) -> None:
    kind = KINDS[name]
    text = action_text(_finding(name, kind.severity))
    assert not text.startswith(f"{name}:"), "fell back to the generic sentence"
    assert "{" not in text


def test_fixable_kinds_are_exactly_the_kinds_fix_can_edit() -> None:
    assert set(EDITORS) == {name for name, kind in KINDS.items() if kind.fixable}


@pytest.mark.parametrize("level", list(Severity))
def test_fail_on_counts_every_kind_at_or_above_the_level(level: Severity) -> None:
    for name, kind in KINDS.items():
        assert fails_on([_finding(name, kind.severity)], level) == (kind.severity.rank <= level.rank)
    assert not fails_on([], level)
    assert not fails_on([_finding("title_typo", "warning")], None)


def test_readme_kinds_table_is_the_generated_one() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- kinds:[^\n]*-->\n(.*?)<!-- /kinds -->", readme, re.S)
    assert match, "README lost its generated kinds table markers"
    assert match.group(1) == kinds_table()


def test_every_verdict_is_either_quiet_or_a_problem_and_findings_come_from_problems() -> None:
    assert set(QUIET_VERDICTS) | set(PROBLEM_VERDICTS) == set(Verdict)
    assert not set(QUIET_VERDICTS) & set(PROBLEM_VERDICTS)
    assert set(VERDICT_KINDS) <= set(PROBLEM_VERDICTS)
    assert all(kind in KINDS for kind in VERDICT_KINDS.values())


def test_views_and_report_agree_on_problem_links(tmp_path: Path) -> None:
    """One link per verdict: the view lists the problems, `report` the ones that ask for action."""
    from harvester.links.history import ensure_link_tables
    from harvester.report import report_rows

    db = open_db(build_seed_db(tmp_path / "h.db"))
    ensure_link_tables(db)
    every_url = [row["url"] for row in db.query("SELECT DISTINCT url FROM entry_links ORDER BY url")]
    urls = [url for url in every_url if host_of(url) not in RETIRED_MIRROR_HOSTS][: len(Verdict)]
    assert len(urls) == len(Verdict)
    for url, verdict in zip(urls, Verdict, strict=True):
        db.table("links").insert(
            {
                "url": url,
                "verdict": verdict.value,
                "first_checked_at": "t",
                "last_checked_at": "t",
                "verdict_since": "t",
            }
        )
    ensure_db_shape(db)
    in_view = {row["verdict"] for row in db.query("SELECT verdict FROM link_problems")}
    assert in_view == {v.value for v in PROBLEM_VERDICTS}
    reported = {row["kind"] for row in report_rows(db)}
    assert reported == set(VERDICT_KINDS.values())
    assert {row["kind"] for row in report_rows(db, include_info=False)} == {
        kind for kind in VERDICT_KINDS.values() if KINDS[kind].severity != Severity.INFO
    }


def test_run_statuses_are_documented_in_the_schema() -> None:
    from harvester import schema

    source = Path(schema.__file__).read_text(encoding="utf-8")
    runs_comment = source[source.index("runs") :]
    for status in RunStatus:
        assert status.value in runs_comment, status


def test_report_no_info_shows_no_info_row_of_any_source(tmp_path: Path) -> None:
    """Through the real command: info findings from reconcile and from the link checker (moved) both go."""
    from harvester.links.history import ensure_link_tables
    from tests.cli import run_cli

    path = build_seed_db(tmp_path / "h.db")
    assert run_cli("reconcile", db=path).returncode == 0
    db = open_db(path)
    ensure_link_tables(db)
    url = next(u for u in (r["url"] for r in db.query("SELECT url FROM entry_links")) if "github.com" in u)
    db.table("links").insert(
        {
            "url": url,
            "verdict": "moved",
            "suggestion": url + "-new",
            "first_checked_at": "t",
            "last_checked_at": "t",
            "verdict_since": "t",
        }
    )
    db.conn.commit()
    db.close()

    every = json.loads(run_cli("report", "--format", "json", db=path).stdout)
    assert {"info"} <= {row["severity"] for row in every}
    assert "moved_link" in {row["kind"] for row in every}  # the link checker's info row is there ...
    without = json.loads(run_cli("report", "--format", "json", "--no-info", db=path).stdout)
    assert without and {row["severity"] for row in without} <= {"error", "warning"}  # ... and gone with --no-info
