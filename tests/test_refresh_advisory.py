"""Enrichment is advisory by default: a refresh whose only failure is an enrichment source exits 0 and
says so; `fail_on_steps` including `enrich` makes it fail the run (exit 1). The run log stays honest."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.cli import invoke
from tests.standins.arxiv import ArxivStandIn
from tests.standins.scholar import Fault, HuggingFaceStandIn, SemanticScholarStandIn

LIST = "# Papers\n\n1. [Deep Compression](https://arxiv.org/abs/1510.00149)\n1. [Trained Rank Pruning](https://arxiv.org/abs/1910.04576)\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "papers.md").write_text(LIST, encoding="utf-8")
    return tmp_path


def write_config(
    folder: Path, arxiv: ArxivStandIn, s2: SemanticScholarStandIn, hf: HuggingFaceStandIn, extra: str = ""
) -> None:
    (folder / "harvester.toml").write_text(
        f'lists = ["*.md"]\ndb = "h.db"\n{extra}\n'
        f'[arxiv]\nurl = "{arxiv.url}"\ndelay = 0\nbackoff = 0\n'
        "[enrich]\nattempts = 1\nbackoff = 0\n"
        f'[enrich.semantic_scholar]\nurl = "{s2.url}"\ndelay = 0\n'
        f'[enrich.huggingface]\nurl = "{hf.url}"\ndelay = 0\n'
        "[steps]\nlinks = false\n",
        encoding="utf-8",
    )


def last_run(db: Path) -> tuple[str, dict[str, dict[str, object]]]:
    with sqlite3.connect(db) as conn:
        status, steps = conn.execute("SELECT status, steps FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    return status, json.loads(steps)


@pytest.mark.parametrize("status", [429, 500])
def test_a_failing_enrichment_source_alone_does_not_fail_the_refresh(
    folder: Path, arxiv: ArxivStandIn, s2: SemanticScholarStandIn, hf: HuggingFaceStandIn, status: int
) -> None:
    s2.always = Fault(status)
    write_config(folder, arxiv, s2, hf)
    result = invoke("refresh", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "enrich: partial (advisory; not failing the run)" in result.stderr
    assert str(status) in result.stderr  # the advisory line says what went wrong
    assert not any(line.startswith("error:") for line in result.stderr.splitlines())
    run_status, steps = last_run(folder / "h.db")
    assert run_status == "partial"  # the log stays honest
    assert steps["enrich"]["status"] == "partial" and steps["fetch"]["status"] == "ok"
    assert s2.requests and hf.requests  # the other source was still asked


@pytest.mark.parametrize(
    ("where", "extra", "env", "args"),
    [
        ("file", 'fail_on_steps = ["import", "fetch", "enrich"]', {}, []),
        ("environment", "", {"HARVESTER_FAIL_ON_STEPS": "fetch,enrich"}, []),
        ("flag", "", {}, ["--fail-on-steps", "enrich"]),
    ],
)
def test_fail_on_steps_including_enrich_makes_it_fail_the_run(
    folder: Path,
    arxiv: ArxivStandIn,
    s2: SemanticScholarStandIn,
    hf: HuggingFaceStandIn,
    where: str,
    extra: str,
    env: dict[str, str],
    args: list[str],
) -> None:
    s2.always = Fault(429)
    write_config(folder, arxiv, s2, hf, extra)
    result = invoke("refresh", *args, cwd=folder, env=env)
    assert result.returncode == 1, (where, result.stderr)
    assert "error: enrich:" in result.stderr and "advisory" not in result.stderr
    assert last_run(folder / "h.db")[0] == "partial"


def test_an_advisory_step_never_hides_a_failing_one(
    folder: Path, arxiv: ArxivStandIn, s2: SemanticScholarStandIn, hf: HuggingFaceStandIn
) -> None:
    write_config(folder, arxiv, s2, hf)
    text = (folder / "harvester.toml").read_text(encoding="utf-8").replace(arxiv.url, "http://127.0.0.1:9")
    (folder / "harvester.toml").write_text(text.replace("[arxiv]\n", "[arxiv]\nattempts = 1\n"), encoding="utf-8")
    result = invoke("refresh", cwd=folder)  # nothing listens on port 9: arXiv is down
    assert result.returncode == 1
    assert "error: fetch:" in result.stderr
    assert last_run(folder / "h.db")[1]["fetch"]["status"] == "failed"
