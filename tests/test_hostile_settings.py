"""Settings that would hang a run or mislead it are refused up front, by name, as usage errors.

Hangs are the failure here, so each test has a timeout: a hang fails that test, not the suite
(pytest-timeout's signal method interrupts a command run in this process too). Each family of
settings is also tried once in a real process (`run_cli`), as cron would run it; the rest of
its cases run in this one (`invoke`), which reads the same settings the same way.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from standins.arxiv import ArxivStandIn
from standins.web import LocalWeb, page, refused_port

from harvester.errors import InputError
from harvester.importer import import_lists, read_source
from harvester.settings_check import InvalidSetting, count, delay, duration, timeout
from harvester.store import open_db
from tests.cli import invoke, run_cli
from tests.seeddb import NOW, SEED, build_seed_db

USAGE = 2


def assert_usage_error(result: subprocess.CompletedProcess[str], name: str) -> None:
    assert result.returncode == USAGE, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert name in result.stderr, result.stderr


@pytest.fixture
def web() -> Iterator[LocalWeb]:
    with LocalWeb() as server:
        server.route("/fine", page("Fine"))
        yield server


@pytest.fixture
def web_db(tmp_path: Path, web: LocalWeb) -> Path:
    listing = tmp_path / "web.md"
    listing.write_text(f"# Links\n\n1. [Fine]({web.url('/fine')})\n", encoding="utf-8")
    db = tmp_path / "web.db"
    database = open_db(db)  # in-process: `import` has tests of its own, and a process per case is slow
    import_lists(database, [read_source(listing)], NOW)
    database.close()
    return db


@pytest.fixture
def seed_db(tmp_path: Path) -> Path:
    return build_seed_db(tmp_path / "h.db")


# --- link checker settings (environment) ---------------------------------------------------


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HARVESTER_LINKS_CONCURRENCY", "0"),
        ("HARVESTER_LINKS_CONCURRENCY", "1.5"),
        ("HARVESTER_LINKS_CONCURRENCY", "many"),
        ("HARVESTER_LINKS_PER_HOST", "0"),
        ("HARVESTER_LINKS_DELAY", "inf"),
        ("HARVESTER_LINKS_DELAY", "nan"),
        ("HARVESTER_LINKS_DELAY", "-1"),
        ("HARVESTER_LINKS_TIMEOUT", "0"),
        ("HARVESTER_LINKS_TIMEOUT", "inf"),
        ("HARVESTER_LINKS_RETRIES", "-1"),
        ("HARVESTER_LINKS_BACKOFF", "inf"),
    ],
)
def test_links_refuses_a_bad_number_by_name_before_any_request(
    web_db: Path, web: LocalWeb, name: str, value: str
) -> None:
    result = invoke("links", "--allow-private", db=web_db, env={name: value})
    assert_usage_error(result, name)
    assert web.requests == []


@pytest.mark.timeout(30)
def test_a_real_links_process_refuses_a_bad_number_by_name(web_db: Path, web: LocalWeb) -> None:
    result = run_cli("links", "--allow-private", db=web_db, env={"HARVESTER_LINKS_DELAY": "inf"})
    assert_usage_error(result, "HARVESTER_LINKS_DELAY")
    assert web.requests == []


@pytest.mark.timeout(30)
def test_links_accepts_zero_retries_and_zero_delay(web_db: Path, web: LocalWeb) -> None:
    env = {"HARVESTER_LINKS_RETRIES": "0", "HARVESTER_LINKS_DELAY": "0", "HARVESTER_LINKS_TIMEOUT": "2"}
    result = invoke("links", "--allow-private", "--json", db=web_db, env=env)
    assert result.returncode == 0, result.stderr


@pytest.mark.timeout(30)
@pytest.mark.parametrize("pattern", ["(", ""])
def test_links_refuses_an_exclude_pattern_that_is_broken_or_matches_everything(
    web_db: Path, web: LocalWeb, pattern: str
) -> None:
    result = invoke("links", "--allow-private", "--exclude", pattern, db=web_db, env={"HARVESTER_LINKS_DELAY": "0"})
    assert_usage_error(result, "--exclude")
    assert web.requests == []


@pytest.mark.timeout(30)
def test_refresh_refuses_a_bad_link_setting_before_touching_anything(seed_db: Path) -> None:
    before = seed_db.read_bytes()
    result = run_cli("refresh", str(SEED), db=seed_db, env={"HARVESTER_LINKS_PER_HOST": "0"})
    assert_usage_error(result, "HARVESTER_LINKS_PER_HOST")
    assert seed_db.read_bytes() == before


# --- arXiv settings (options and environment) ----------------------------------------------


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("args", "env", "name"),
    [
        (["--arxiv-delay", "inf"], {}, "--arxiv-delay"),
        (["--arxiv-delay", "nan"], {}, "--arxiv-delay"),
        (["--arxiv-timeout", "inf"], {}, "--arxiv-timeout"),
        (["--arxiv-timeout", "nan"], {}, "--arxiv-timeout"),
        (["--arxiv-backoff", "inf"], {}, "--arxiv-backoff"),
        ([], {"HARVESTER_ARXIV_DELAY": "inf"}, "HARVESTER_ARXIV_DELAY"),
        ([], {"HARVESTER_ARXIV_BACKOFF": "nan"}, "HARVESTER_ARXIV_BACKOFF"),
    ],
)
def test_fetch_refuses_a_bad_arxiv_number_by_name(
    seed_db: Path, args: list[str], env: dict[str, str], name: str
) -> None:
    with ArxivStandIn() as arxiv:
        result = invoke(*args, "fetch", "--all", db=seed_db, env={"HARVESTER_ARXIV_URL": arxiv.url, **env})
        assert_usage_error(result, name)
        assert arxiv.requests == []


@pytest.mark.timeout(30)
def test_a_real_fetch_process_refuses_a_bad_flag_by_name(seed_db: Path) -> None:
    with ArxivStandIn() as arxiv:
        result = run_cli("--arxiv-delay", "inf", "fetch", "--all", db=seed_db, env={"HARVESTER_ARXIV_URL": arxiv.url})
        assert_usage_error(result, "--arxiv-delay")
        assert arxiv.requests == []


@pytest.mark.timeout(30)
@pytest.mark.parametrize("value", ["nans", "infd", "1e300w"])
def test_fetch_refuses_an_unusable_stale_age(seed_db: Path, value: str) -> None:
    result = invoke("--arxiv-url", f"http://127.0.0.1:{refused_port()}/", "fetch", "--stale-after", value, db=seed_db)
    assert_usage_error(result, "--stale-after")


@pytest.mark.timeout(30)
@pytest.mark.parametrize("ids", [",", "", " , "])
def test_fetch_ids_without_an_id_is_a_usage_error_not_everything(seed_db: Path, ids: str) -> None:
    with ArxivStandIn() as arxiv:
        result = invoke(
            "fetch", "--ids", ids, db=seed_db, env={"HARVESTER_ARXIV_URL": arxiv.url, "HARVESTER_ARXIV_DELAY": "0"}
        )
        assert_usage_error(result, "--ids")
        assert arxiv.requests == []


@pytest.mark.timeout(30)
def test_fix_kinds_without_a_kind_is_a_usage_error_not_every_kind(tmp_path: Path) -> None:
    listing = tmp_path / "model-compression.md"
    shutil.copyfile(SEED, listing)
    db = build_seed_db(tmp_path / "h.db", listing=listing)
    assert invoke("reconcile", db=db).returncode == 0
    before = listing.read_bytes()
    result = invoke("fix", "--kinds", ",", "--write", db=db)
    assert_usage_error(result, "--kinds")
    assert listing.read_bytes() == before


# --- enrichment settings (environment) -----------------------------------------------------


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HARVESTER_S2_DELAY", "inf"),
        ("HARVESTER_HF_DELAY", "nan"),
        ("HARVESTER_ENRICH_ATTEMPTS", "0"),
        ("HARVESTER_ENRICH_ATTEMPTS", "inf"),
        ("HARVESTER_ENRICH_ATTEMPTS", "nan"),
        ("HARVESTER_ENRICH_BACKOFF", "inf"),
        ("HARVESTER_ENRICH_MAX_AGE", "infd"),
    ],
)
def test_enrich_refuses_a_bad_number_by_name(seed_db: Path, name: str, value: str) -> None:
    closed = f"http://127.0.0.1:{refused_port()}"
    env = {"HARVESTER_S2_URL": closed, "HARVESTER_HF_URL": closed, name: value}
    result = (run_cli if name == "HARVESTER_S2_DELAY" else invoke)("enrich", db=seed_db, env=env)  # one real process
    assert_usage_error(result, name)


# --- only regular files are read as lists ---------------------------------------------------


@pytest.mark.timeout(30)
def test_import_of_a_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "list.md"
    os.mkfifo(fifo)
    result = run_cli("import", str(fifo), db=tmp_path / "h.db")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(fifo) in lines[0] and "regular file" in lines[0], result.stderr
    assert not (tmp_path / "h.db").exists()


@pytest.mark.timeout(30)
def test_import_of_a_device_is_refused(tmp_path: Path) -> None:
    result = run_cli("import", "/dev/zero", db=tmp_path / "h.db")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "/dev/zero" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.timeout(30)
def test_read_source_refuses_a_named_pipe_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "list.md"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="regular file"):
        read_source(fifo)


# --- the checks themselves -----------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-3", "1.5", "inf", "nan", "x", ""])
def test_count_refuses(value: str) -> None:
    with pytest.raises(InvalidSetting, match="^N:"):
        count("N", value)


@pytest.mark.parametrize("value", ["-1", "inf", "-inf", "nan", "1e9", "soon"])
def test_delay_refuses(value: str) -> None:
    with pytest.raises(InvalidSetting, match="^D:"):
        delay("D", value)


@pytest.mark.parametrize("value", ["0", "-1", "inf", "nan"])
def test_timeout_refuses(value: str) -> None:
    with pytest.raises(InvalidSetting, match="^T:"):
        timeout("T", value)


@pytest.mark.parametrize("value", ["nans", "infh", "1e300w", "-1d", "", "5y"])
def test_duration_refuses(value: str) -> None:
    with pytest.raises(InvalidSetting, match="^A:"):
        duration("A", value)


def test_checks_accept_ordinary_values() -> None:
    assert (count("N", "3"), count("N", "2.0"), delay("D", "0"), delay("D", "2.5"), timeout("T", "0.5")) == (
        3,
        2,
        0.0,
        2.5,
        0.5,
    )
    assert duration("A", "20h").total_seconds() == 72000
