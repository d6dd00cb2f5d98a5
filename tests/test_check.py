"""`harvester check`: lists checked offline against the database, for a pre-commit hook.

No network is ever touched (these tests run with every socket refused) and the
database file is never written.
"""

from __future__ import annotations

import hashlib
import shlex
import sqlite3
from pathlib import Path

import pytest
import yaml

from tests.cli import invoke
from tests.seeddb import seed_repository

ROOT = Path(__file__).parent.parent
HOOKS = ROOT / ".pre-commit-hooks.yaml"


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A repository with a list and its database where the hook looks by default: (root, list, db)."""
    root = tmp_path / "repo"
    return seed_repository(root, root / "harvester.db")  # the `db` setting's default: in the root


def _wrong_id(listing: Path) -> None:
    # FeTa's entry now points at the Deep Compression paper: a title_mismatch (an error).
    text = listing.read_text(encoding="utf-8")
    listing.write_text(text.replace("1803.04239", "1510.00149"), encoding="utf-8")


def _fingerprint(db: Path) -> tuple[str, list[tuple]]:
    with sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT key, resolved_at FROM findings ORDER BY key").fetchall()
        rows += conn.execute("SELECT path, sha256 FROM lists").fetchall()
    return hashlib.sha256(db.read_bytes()).hexdigest(), rows


@pytest.mark.disable_socket
def test_check_reports_an_edit_not_yet_imported_and_exits_3_without_touching_the_database(
    repo: tuple[Path, Path, Path],
) -> None:
    root, listing, db = repo
    before = _fingerprint(db)
    _wrong_id(listing)
    result = invoke("check", "lists/model-compression.md", "--format", "github", db=db, cwd=root)
    assert result.returncode == 3, result.stderr
    assert "::error file=lists/model-compression.md,line=30,title=harvester title_mismatch::" in result.stdout
    assert _fingerprint(db) == before  # the edit reached no table: it lived in memory only


@pytest.mark.disable_socket
def test_check_of_a_list_with_only_warnings_exits_0_and_shows_them(repo: tuple[Path, Path, Path]) -> None:
    root, _, db = repo
    result = invoke("check", "lists", db=db, cwd=root)
    assert result.returncode == 0, result.stderr
    assert "lists/model-compression.md" in result.stdout and "Change the date 2019-01-29 to 2019-06-29" in result.stdout
    strict = invoke("check", "lists", "--fail-on", "warning", "--format", "json", db=db, cwd=root)
    assert strict.returncode == 3


@pytest.mark.disable_socket
def test_check_only_reports_the_lists_it_was_given(repo: tuple[Path, Path, Path]) -> None:
    root, _, db = repo
    other = root / "lists" / "other.md"
    other.write_text("# Other\n\n1. [Some paper](https://example.org/p)\n", encoding="utf-8")
    result = invoke("check", "lists/other.md", "--format", "json", db=db, cwd=root)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.disable_socket
def test_check_without_a_database_warns_and_still_checks_what_needs_no_arxiv(tmp_path: Path) -> None:
    listing = tmp_path / "list.md"
    listing.write_text(
        "# A\n\n1. [One](https://arxiv.org/abs/1510.00149)\n\n1. [Two](https://arxiv.org/abs/1510.00149)\n",
        encoding="utf-8",
    )
    result = invoke("check", "list.md", "--format", "github", db=tmp_path / "none.db", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no database at" in result.stderr and not (tmp_path / "none.db").exists()
    assert "title=harvester duplicate_entry::" in result.stdout


def test_check_of_a_missing_list_is_one_line_exit_1(repo: tuple[Path, Path, Path]) -> None:
    root, _, db = repo
    result = invoke("check", "lists/nope.md", db=db, cwd=root)
    assert result.returncode == 1 and "nope.md" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.disable_socket
def test_the_pre_commit_hook_runs_check_on_the_changed_lists(repo: tuple[Path, Path, Path]) -> None:
    root, listing, _ = repo
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "harvester-check")
    assert hook["language"] == "python" and "markdown" in hook["types"]
    program, *args = shlex.split(hook["entry"])
    assert program == "harvester"
    _wrong_id(listing)
    # As pre-commit runs it: from the repository root, the changed files appended; the default database.
    result = invoke(*args, *hook.get("args", []), "lists/model-compression.md", cwd=root)
    assert result.returncode == 3, result.stderr
    assert "title_mismatch" in result.stdout
