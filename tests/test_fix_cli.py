"""`harvester fix` as a real process: a diff by default, atomic writes, refusals that change nothing."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from tests.cli import invoke, run_cli
from tests.seeddb import SEED, build_seed_db


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    listing = tmp_path / "model-compression.md"
    shutil.copyfile(SEED, listing)
    db = build_seed_db(tmp_path / "h.db", listing=listing)
    assert invoke("reconcile", db=db).returncode == 0
    return db, listing


def open_kinds(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return sorted(
            conn.execute(
                "SELECT kind, arxiv_id FROM findings WHERE resolved_at IS NULL AND severity != 'info'"
            ).fetchall()
        )


def test_fix_prints_a_diff_and_writes_nothing_by_default(setup: tuple[Path, Path]) -> None:
    db, listing = setup
    before = listing.read_bytes()
    result = invoke("fix", db=db)
    assert result.returncode == 0, result.stderr
    assert (
        "-1. [Traned Rank Pruning for Efficient Deep Neural Networks](http://cn.arxiv.org/abs/1910.04576)"
        in result.stdout
    )
    assert (
        "+1. [Trained Rank Pruning for Efficient Deep Neural Networks](https://arxiv.org/abs/1910.04576)"
        in result.stdout
    )
    assert listing.read_bytes() == before


def test_fix_write_applies_keeps_a_backup_and_resolves_the_findings(setup: tuple[Path, Path]) -> None:
    db, listing = setup
    before = listing.read_bytes()
    result = invoke("fix", str(listing), "--write", db=db)
    assert result.returncode == 0, result.stderr
    assert listing.with_name(listing.name + ".bak").read_bytes() == before
    assert b"Trained Rank Pruning" in listing.read_bytes() and b"cn.arxiv.org" not in listing.read_bytes()
    assert open_kinds(db) == [("venue_mismatch", "1910.04641")]  # the only warning fix does not touch
    again = invoke("fix", db=db)
    assert again.returncode == 0 and again.stdout == "" and "nothing to fix" in again.stderr


def test_fix_write_refuses_a_read_only_file(setup: tuple[Path, Path]) -> None:
    db, listing = setup
    before = listing.read_bytes()
    os.chmod(listing, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    try:
        result = run_cli("fix", str(listing), "--write", db=db)
    finally:
        os.chmod(listing, stat.S_IRUSR | stat.S_IWUSR)
    assert result.returncode == 1
    assert "read-only" in result.stderr and "Traceback" not in result.stderr
    assert listing.read_bytes() == before
    assert not listing.with_name(listing.name + ".bak").exists()


def test_fix_write_refuses_a_file_changed_since_import(setup: tuple[Path, Path]) -> None:
    db, listing = setup
    listing.write_bytes(listing.read_bytes() + b"\n1. [A new paper](https://arxiv.org/abs/1907.05686)\n")
    before = listing.read_bytes()
    result = invoke("fix", str(listing), "--write", db=db)
    assert result.returncode == 1
    assert "changed since" in result.stderr and "Traceback" not in result.stderr
    assert listing.read_bytes() == before
