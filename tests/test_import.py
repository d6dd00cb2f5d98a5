"""Importing reading lists into SQLite: identity across edits, nothing lost, bad inputs refused."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.cli import ROOT, invoke, run_cli

SEED = ROOT / "seeds" / "model-compression.md"


def dump(db: Path) -> dict[str, list[tuple]]:
    """Every row of the tables an import writes, for before/after comparisons."""
    with sqlite3.connect(db) as conn:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in ("lists", "sections", "entries", "entry_links")
        }


@pytest.fixture(scope="module")
def imported_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("imported") / "h.db"
    # A real process: the command leaves its connection to the exit to close, and this file is copied.
    assert run_cli("import", str(SEED), db=db).returncode == 0
    return db


@pytest.fixture
def imported_seed_db(tmp_path: Path, imported_once: Path) -> Path:
    """A fresh copy of a database holding the imported seed."""
    db = tmp_path / "h.db"
    shutil.copyfile(imported_once, db)
    return db


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    target = tmp_path / "lists" / "model-compression.md"
    target.parent.mkdir()
    shutil.copyfile(SEED, target)
    return target


def test_import_seed_stores_19_papers_in_8_sections(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    result = run_cli("import", str(SEED), "--json", db=db)
    assert result.returncode == 0, result.stderr
    [summary] = json.loads(result.stdout)
    assert summary["status"] == "new"
    assert summary["paper_entries"] == 19
    with sqlite3.connect(db) as conn:
        papers = conn.execute("SELECT arxiv_id FROM entries WHERE is_paper = 1 ORDER BY position").fetchall()
        sections = conn.execute("SELECT path FROM sections WHERE is_paper_section = 1 ORDER BY position").fetchall()
        appendix_links = conn.execute(
            "SELECT l.url FROM entry_links l JOIN entries e ON e.id = l.entry_id WHERE e.is_paper = 0"
        ).fetchall()
    assert len(papers) == 19
    assert papers[0] == ("1510.00149",)
    assert [s[0] for s in sections] == [
        "1 综述",
        "2 理论",
        "3 剪枝",
        "5 低秩分解",
        "6 权值量化",
        "7 知识蒸馏",
        "8 嵌入式加速",
        "9 其他",
    ]
    assert sorted(u[0] for u in appendix_links) == [
        "https://blog.csdn.net/xiaoxiaowenqiang/article/details/80946522",
        "https://www.cnblogs.com/zhonghuasong/p/7822572.html",
    ]


def test_second_import_of_unchanged_list_changes_nothing(imported_seed_db: Path) -> None:
    db = imported_seed_db
    before = dump(db)
    result = invoke("import", str(SEED), "--json", db=db)
    assert result.returncode == 0
    assert json.loads(result.stdout)[0]["status"] == "unchanged"
    assert dump(db) == before


def test_editing_one_entry_updates_that_entry_only(tmp_path: Path, seed_copy: Path) -> None:
    db = tmp_path / "h.db"
    assert invoke("import", str(seed_copy), db=db).returncode == 0
    before = {row[0]: row for row in dump(db)["entries"]}
    text = seed_copy.read_text(encoding="utf-8")
    seed_copy.write_text(
        text.replace("AVD: Adversarial Video Distillation", "AVD: Adversarial Video Distillation!"), encoding="utf-8"
    )
    result = invoke("import", str(seed_copy), "--json", db=db)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)[0]
    assert (summary["status"], summary["added"], summary["updated"], summary["removed"]) == ("updated", 0, 1, 0)
    after = {row[0]: row for row in dump(db)["entries"]}
    assert after.keys() == before.keys()
    changed = [entry_id for entry_id in after if after[entry_id] != before[entry_id]]
    assert len(changed) == 1
    with sqlite3.connect(db) as conn:
        title = conn.execute("SELECT noted_title FROM entries WHERE id = ?", changed).fetchone()[0]
    assert title == "AVD: Adversarial Video Distillation!"


def test_deleting_an_entry_marks_it_removed(tmp_path: Path, seed_copy: Path) -> None:
    db = tmp_path / "h.db"
    assert invoke("import", str(seed_copy), db=db).returncode == 0
    lines = seed_copy.read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(lines) if "Geometry of Deep Convolutional Networks" in line)
    del lines[start : start + 3]
    seed_copy.write_text("\n".join(lines), encoding="utf-8")
    result = invoke("import", str(seed_copy), "--json", db=db)
    assert json.loads(result.stdout)[0]["removed"] == 1
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT arxiv_id, removed_at FROM entries WHERE arxiv_id = '1905.08922'").fetchall()
        live = conn.execute("SELECT count(*) FROM entries WHERE is_paper = 1 AND removed_at IS NULL").fetchone()[0]
    assert len(rows) == 1 and rows[0][1] is not None
    assert live == 18


def test_restoring_a_removed_entry_brings_it_back(tmp_path: Path, seed_copy: Path) -> None:
    db = tmp_path / "h.db"
    original = seed_copy.read_text(encoding="utf-8")
    invoke("import", str(seed_copy), db=db)
    seed_copy.write_text(original.replace("1. [DARC", "DARC-removed [x"), encoding="utf-8")
    invoke("import", str(seed_copy), db=db)
    seed_copy.write_text(original, encoding="utf-8")
    invoke("import", str(seed_copy), db=db)
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT removed_at FROM entries WHERE arxiv_id = '1905.08170'").fetchall()
    assert rows == [(None,)]


def test_folder_import_and_the_lists_setting_as_default(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    (tmp_path / "harvester.toml").write_text(f"lists = [{json.dumps(str(ROOT / 'seeds'))}]\n", encoding="utf-8")
    result = invoke("import", "--json", db=db, cwd=tmp_path)  # default: the folder the config's `lists` names
    assert result.returncode == 0, result.stderr
    assert [r["name"] for r in json.loads(result.stdout)] == ["model-compression.md"]


@pytest.mark.parametrize(
    "make_input, message",
    [
        (lambda d: d / "absent.md", "no such file or directory"),
        (lambda d: _empty_dir(d), "no markdown files"),
        (lambda d: _write(d / "latin1.md", "Caf\xe9 list\n".encode("latin-1")), "not UTF-8"),
    ],
    ids=["missing-file", "folder-without-markdown", "not-utf8"],
)
def test_bad_inputs_exit_1_with_one_line_and_leave_db_identical(
    tmp_path: Path, imported_seed_db: Path, make_input, message: str
) -> None:
    db = imported_seed_db
    before = db.read_bytes()
    result = invoke("import", str(make_input(tmp_path)), db=db)
    assert result.returncode == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert db.read_bytes() == before


def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path: Path) -> None:
    not_db = tmp_path / "notes.txt"
    not_db.write_bytes(b"my precious notes\n" * 100)
    before = not_db.read_bytes()
    result = invoke("import", str(SEED), db=not_db)
    assert result.returncode == 1
    assert "not an SQLite database" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not_db.read_bytes() == before


def test_db_folder_is_created_on_demand(tmp_path: Path) -> None:
    db = tmp_path / "deep" / "er" / "h.db"
    assert invoke("import", str(SEED), db=db).returncode == 0
    assert db.exists()


def test_environment_variable_names_the_db(tmp_path: Path) -> None:
    db = tmp_path / "env.db"
    result = invoke("import", str(SEED), env={"HARVESTER_DB": str(db)})
    assert result.returncode == 0, result.stderr
    assert db.exists()


def test_version_and_help() -> None:
    version = invoke("--version")
    assert version.returncode == 0 and version.stdout.startswith("harvester ")
    help_text = invoke("import", "--help")
    assert help_text.returncode == 0 and "--json" in help_text.stdout


def _empty_dir(base: Path) -> Path:
    folder = base / "empty"
    folder.mkdir()
    (folder / "notes.txt").write_text("not markdown")
    return folder


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_import_stores_what_the_curator_wrote_field_by_field(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    assert invoke("import", str(SEED), db=db).returncode == 0
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        entries = {r["arxiv_id"]: dict(r) for r in conn.execute("SELECT * FROM entries WHERE is_paper = 1")}
        links = conn.execute(
            "SELECT e.arxiv_id, l.url, l.label, l.role, l.marker FROM entry_links l JOIN entries e ON e.id = l.entry_id "
            "WHERE l.role = 'code'"
        ).fetchall()
    deep = entries["1510.00149"]
    assert (deep["section"], deep["line"], deep["noted_venue"], deep["noted_date"], deep["noted_date_precision"]) == (
        "1 综述",
        18,
        "ICLR 2016 oral",
        "2015-10-01",
        "day",
    )
    assert (
        deep["noted_title"]
        == "Deep Compression: Compressing Deep Neural Network with Pruning, Trained Quantization and Huffman Coding"
    )
    trp = entries["1910.04576"]
    assert (trp["noted_title"], trp["noted_venue"]) == (
        "Traned Rank Pruning for Efficient Deep Neural Networks",
        "NIPS 2019 workshop",
    )
    assert trp["notes"] == "认为离线低秩分解误差太大，于是将其集成到训练过程；"
    dream = entries["1905.07072"]
    assert (dream["rating"], dream["rating_text"], dream["noted_venue"]) == (
        2,
        r"$\bullet \bullet$",
        "ICML 2019 workshop",
    )
    assert dream["notes"] == "无需重新训练的模型压缩方法；"
    assert entries["1906.08859"]["noted_date"] == "2019-05-06"
    assert json.loads(entries["1907.05642"]["arxiv_ids"]) == ["1907.05642"]
    assert [tuple(r) for r in links] == [
        ("2006.09679", "https://github.com/clovaai/StatAssist-GradBoost", "pytorch", "code", "official")
    ]
