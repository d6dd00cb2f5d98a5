"""The database opens in a real Datasette server on loopback, with its views and full-text search.

Datasette is started as people start it themselves (`datasette FILE`): the metadata comes
from harvester's plugin, whatever the file is called.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli import ROOT, invoke
from tests.seeddb import build_seed_db
from tests.standins.arxiv import ArxivStandIn, Fault


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def datasette(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve(build_seed_db(tmp_path_factory.mktemp("datasette") / "lists.db"))


def _serve(db: Path) -> Iterator[str]:
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "datasette",
            "serve",
            str(db),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(f"{base}/-/versions.json")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("datasette did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_reading_list_view_through_the_json_api(datasette: str) -> None:
    rows = _get(f"{datasette}/lists/reading_list.json?_shape=array&_size=100")
    assert isinstance(rows, list) and len(rows) == 19
    row = next(r for r in rows if r["arxiv_id"] == "1907.05642")
    assert row["noted_title"] == "Deep Model Compression via Filter Auto-sampling"
    assert row["arxiv_title"] == "Neural Epitome Search for Architecture-Agnostic Network Compression"
    assert row["section"] == "9 其他"


def test_full_text_search_through_datasette(datasette: str) -> None:
    rows = _get(f"{datasette}/lists/papers.json?_search=distillation&_shape=array")
    assert {r["arxiv_id"] for r in rows} == {
        "1905.07072",
        "1907.05640",
        "1910.04641",
        "1907.05642",
    }  # the last in its abstract


def test_metadata_and_canned_queries_are_served(datasette: str) -> None:
    metadata = _get(f"{datasette}/-/metadata.json")
    assert "reading_list" in metadata["databases"]["lists"]["tables"]
    rows = _get(f"{datasette}/lists/papers_by_category.json?_shape=array")
    assert sum(r["papers"] for r in rows) == 19


def test_datasette_reads_while_a_refresh_writes(tmp_path: Path) -> None:
    db = tmp_path / "harvester.db"
    assert invoke("import", str(ROOT / "seeds"), db=db).returncode == 0
    server = _serve(db)
    base = next(server)
    try:
        with ArxivStandIn() as arxiv:
            arxiv.queue_faults(Fault.hang(100))  # the refresh sits inside its lock, mid-run, until released
            env = {k: v for k, v in os.environ.items() if not k.startswith("HARVESTER_")}
            env |= {
                "HARVESTER_ARXIV_URL": arxiv.url,
                "HARVESTER_ARXIV_DELAY": "0",
                "HARVESTER_ARXIV_TIMEOUT": "100",
                "HARVESTER_ENRICH_SOURCES": "",
            }
            refresh = subprocess.Popen(
                [sys.executable, "-m", "harvester", "--db", str(db), "refresh", str(ROOT / "seeds"), "--no-links"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                arxiv.wait_for_requests(1)
                during = _get(f"{base}/harvester/runs.json?_shape=array")
                assert [r["status"] for r in during] == ["running"]
            finally:
                arxiv.release_hangs()
            assert refresh.wait(timeout=60) == 0
        after = _get(f"{base}/harvester/papers.json?_shape=array&_size=100")
        assert len(after) == 19
    finally:
        server.close()
