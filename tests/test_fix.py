"""`fix`: safe findings become span edits; every other byte of the list stays as it was."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlite_utils import Database
from test_reconcile_db import NOW, import_file, load_papers, new_db, problem_set
from test_reconcile_seed import SEED

from harvester.findings import open_findings
from harvester.fix import FileChangedError, FixError, FixPlan, ReadOnlyError, apply_fix, plan_fixes
from harvester.reconciling import run_reconcile

FIXED_KINDS = {"title_typo", "title_outdated", "date_mismatch", "mirror_link"}


def prepared(tmp_path: Path, data: bytes) -> tuple[Database, Path]:
    path = tmp_path / "lists" / "model-compression.md"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    db = new_db(tmp_path / "h.db")
    import_file(db, path)
    load_papers(db)
    run_reconcile(db, now=NOW)
    return db, path


@pytest.fixture
def seed(tmp_path: Path) -> tuple[Database, Path]:
    return prepared(tmp_path, SEED.read_bytes())


def only_plan(db: Database, **options) -> FixPlan:
    [plan] = plan_fixes(db, **options)
    return plan


def assert_untouched_outside_edits(plan: FixPlan, after: bytes) -> None:
    """The bytes between edits are the original bytes, in order, at the shifted offsets."""
    shift, last = 0, 0
    for edit in plan.edits:
        assert after[last + shift : edit.start + shift] == plan.original[last : edit.start]
        assert after[edit.start + shift : edit.start + shift + len(edit.new)] == edit.new
        shift += len(edit.new) - (edit.end - edit.start)
        last = edit.end
    assert after[last + shift :] == plan.original[last:]


def test_seed_plan_edits_exactly_the_flagged_spans(seed: tuple[Database, Path]) -> None:
    db, path = seed
    plan = only_plan(db)
    changes = sorted((e.kind, e.old.decode(), e.new.decode()) for e in plan.edits)
    assert len(plan.edits) == 21 and plan.skipped == ()
    assert ("date_mismatch", "2019-01-29", "2019-06-29") in changes
    assert (
        "title_typo",
        "Traned Rank Pruning for Efficient Deep Neural Networks",
        "Trained Rank Pruning for Efficient Deep Neural Networks",
    ) in changes
    assert (
        "title_outdated",
        "Deep Model Compression via Filter Auto-sampling",
        "Neural Epitome Search for Architecture-Agnostic Network Compression",
    ) in changes
    assert ("mirror_link", "http://cn.arxiv.org/abs/1907.05686", "https://arxiv.org/abs/1907.05686") in changes
    assert {e.kind for e in plan.edits} == FIXED_KINDS
    assert all(plan.original[e.start : e.end] == e.old for e in plan.edits)
    assert_untouched_outside_edits(plan, plan.fixed())


def test_seed_diff_shows_only_changed_lines(seed: tuple[Database, Path]) -> None:
    db, _ = seed
    diff = only_plan(db).diff()
    removed = [line for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    # 17 title lines with a mirror link (three also with a title fix), the typo'd title line
    # without a mirror link (1510.00149) and the line with the wrong date.
    assert len(removed) == len(added) == 19
    assert "-*2019-01-29* [paper](https://arxiv.org/abs/1907.00262)   " in removed
    assert "+*2019-06-29* [paper](https://arxiv.org/abs/1907.00262)   " in added
    assert diff.startswith("--- a/model-compression.md\n+++ b/model-compression.md\n")


def test_apply_then_reimport_leaves_none_of_the_fixed_findings(seed: tuple[Database, Path]) -> None:
    db, path = seed
    plan = only_plan(db)
    fixed_keys = {e.finding_key for e in plan.edits}
    backup = apply_fix(plan)
    assert path.read_bytes() == plan.fixed()
    assert backup == path.with_name("model-compression.md.bak")
    assert backup.read_bytes() == SEED.read_bytes()
    assert_untouched_outside_edits(plan, path.read_bytes())

    import_file(db, path)
    summary = run_reconcile(db, now=NOW)
    rows = open_findings(db)
    assert fixed_keys.isdisjoint(r["key"] for r in rows)
    assert problem_set(rows) == {("venue_mismatch", "1910.04641")}
    assert summary.resolved == 21
    assert plan_fixes(db) == []


def test_kinds_limit_the_plan(seed: tuple[Database, Path]) -> None:
    db, _ = seed
    plan = only_plan(db, kinds={"date_mismatch"})
    assert [(e.kind, e.line) for e in plan.edits] == [("date_mismatch", 37)]
    with pytest.raises(FixError, match="cannot fix venue_mismatch"):
        plan_fixes(db, kinds={"venue_mismatch"})


def test_path_selects_the_list(seed: tuple[Database, Path], tmp_path: Path) -> None:
    db, path = seed
    assert only_plan(db, path=path).path == path
    with pytest.raises(FixError, match="has not been imported"):
        plan_fixes(db, path=tmp_path / "other.md")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_read_only_file_is_refused_and_left_alone(seed: tuple[Database, Path]) -> None:
    db, path = seed
    plan = only_plan(db)
    path.chmod(stat.S_IRUSR | stat.S_IRGRP)
    before = _snapshot(path.parent)
    try:
        with pytest.raises(ReadOnlyError, match="is read-only; nothing was written"):
            apply_fix(plan)
        assert _snapshot(path.parent) == before
    finally:
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_file_changed_since_import_is_refused_and_left_alone(seed: tuple[Database, Path]) -> None:
    db, path = seed
    path.write_bytes(path.read_bytes() + b"\n1. a new line\n")
    plan = only_plan(db)
    assert plan.is_stale
    before = _snapshot(path.parent)
    with pytest.raises(FileChangedError, match="changed since it was imported"):
        apply_fix(plan)
    assert _snapshot(path.parent) == before


def test_file_changed_after_planning_is_refused(seed: tuple[Database, Path]) -> None:
    db, path = seed
    plan = only_plan(db)
    path.write_bytes(b"rewritten\n")
    with pytest.raises(FileChangedError):
        apply_fix(plan)
    assert path.read_bytes() == b"rewritten\n"


def test_crlf_zero_width_spaces_and_front_matter_survive(tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8")
    text = text.replace("FeTa: A DCA", "FeTa:\u200b A DCA").replace("\n", "\r\n")
    db, path = prepared(tmp_path, text.encode("utf-8"))
    plan = only_plan(db)
    assert len(plan.edits) == 21
    apply_fix(plan, backup=False)
    after = path.read_bytes()
    assert_untouched_outside_edits(plan, after)
    assert after.count(b"\r\n") == text.encode().count(b"\r\n")
    assert "FeTa:\u200b A DCA".encode() in after
    assert after.startswith(b"---\r\nlayout: article\r\n")
    assert not path.with_name(path.name + ".bak").exists()


def test_an_ambiguous_date_is_skipped_not_guessed(tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8").replace(
        "*2019-01-29* [paper](https://arxiv.org/abs/1907.00262)   \n",
        "*2019-01-29* [paper](https://arxiv.org/abs/1907.00262) 2019-01-29  \n",
    )
    db, _ = prepared(tmp_path, text.encode())
    plan = only_plan(db, kinds={"date_mismatch"})
    assert plan.edits == ()
    assert [(s.kind, s.reason) for s in plan.skipped] == [
        ("date_mismatch", "date 2019-01-29 appears 2 times in the entry; not sure which to change")
    ]


def test_plan_with_no_edits_writes_nothing(seed: tuple[Database, Path]) -> None:
    db, path = seed
    plan = FixPlan(path, 1, "0" * 64, path.read_bytes(), ())
    assert apply_fix(plan) is None
    assert plan.diff() == ""
    assert sorted(os.listdir(path.parent)) == ["model-compression.md"]
