"""Benchmark `harvester suggest` on a generated corpus of 150 lists against the local stand-ins.

The corpus: 150 markdown lists, each with four topic sections of 3-5 papers
(pruning, quantization, distillation, low-rank factorization, sparsity,
architecture search: four per list, chosen per list) and a two-paper section
too small to be asked about. Every listed paper and 600 unlisted candidate
papers (100 per topic, submitted 2024-2025) are served by the arXiv stand-in;
the Semantic Scholar stand-in recommends each candidate for the listed papers
of its topic. Lists are imported and their papers fetched first (not timed).

Measured: requests per source (counted by the stand-ins), wall time of a first
`suggest` run and of a second one right after (which must send nothing).
Politeness: the default spacing is arXiv 3 s and Semantic Scholar 1 s between
request starts; this script divides both by --scale (default 100) so it ends in
seconds, and reports the measured time and the time scaled back up (the spacing
the run waited, multiplied back, plus everything else it spent).

    .venv/bin/python benchmarks/suggest/bench_suggest.py [--lists 150] [--scale 100]

Writes results.md and results.json beside this file. Loopback only.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from harvester.arxiv.config import ClientConfig  # noqa: E402
from harvester.enrich import EnrichConfig  # noqa: E402
from harvester.harvest import harvest_with, listed_ids  # noqa: E402
from harvester.importer import import_lists, read_source  # noqa: E402
from harvester.store import open_db  # noqa: E402
from harvester.suggest import SuggestConfig, run_suggest  # noqa: E402
from tests.standins.arxiv import ArxivStandIn, stored_paper  # noqa: E402
from tests.standins.scholar import SemanticScholarStandIn  # noqa: E402

TOPICS = {
    "Pruning": "pruning prune channels filters sparse weights magnitude thresholding",
    "Quantization": "quantization quantized integer bit precision int8 weights activations",
    "Distillation": "knowledge distillation teacher student distill soft targets",
    "Low-Rank Factorization": "low-rank factorization decomposition tensor rank matrices approximation",
    "Sparsity": "sparsity sparse activations structured zeros regularization",
    "Architecture Search": "architecture search differentiable nas cells supernet compact",
}
ARXIV_DELAY, S2_DELAY = 3.0, 1.0  # the defaults: arXiv's terms, Semantic Scholar's keyed rate
NOW = datetime(2026, 1, 15, 3, 0, tzinfo=UTC)


def _paper(arxiv_id: str, topic: str, submitted: str, rng: random.Random) -> dict[str, Any]:
    words = TOPICS[topic].split()
    title = f"{topic} of Neural Networks: " + " ".join(rng.sample(words, 3)).title()
    abstract = f"We study {topic.lower()} for deep networks. " + " ".join(rng.choices(words, k=25)) + "."
    return {
        "id": arxiv_id,
        "authors": [{"name": "A. Bench", "affiliations": []}],
        "abstract": abstract,
        "primary_category": "cs.LG",
        "categories": ["cs.LG"],
        "versions": [{"version": 1, "submitted": submitted, "title": title}],
    }


def build_corpus(folder: Path, lists: int, rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The lists on disk; (listed papers, candidate papers) as stand-in records."""
    listed: list[dict[str, Any]] = []
    serial = 0
    for number in range(lists):
        topics = rng.sample(sorted(TOPICS), 5)
        lines = [f"# Reading list {number}", ""]
        for position, topic in enumerate(topics):
            count = 2 if position == 4 else rng.randint(3, 5)
            lines += [f"## {topic}", ""]
            for _ in range(count):
                serial += 1
                arxiv_id = f"22{serial // 90000 + 1:02d}.{serial % 90000 + 10000:05d}"
                record = _paper(arxiv_id, topic, f"2022-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T12:00:00Z", rng)
                record["topic"] = topic
                listed.append(record)
                lines.append(f"- [{record['versions'][0]['title']}](https://arxiv.org/abs/{arxiv_id}), 2022")
            lines.append("")
        (folder / f"list-{number:03d}.md").write_text("\n".join(lines), encoding="utf-8")
    candidates = []
    for index, topic in enumerate(sorted(TOPICS)):
        for k in range(100):
            record = _paper(f"24{index + 1:02d}.{k + 10000:05d}", topic, f"2024-{k % 12 + 1:02d}-15T12:00:00Z", rng)
            record["topic"] = topic
            candidates.append(record)
    return listed, candidates


def s2_pool(listed: list[dict[str, Any]], candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_topic: dict[str, list[str]] = {}
    for record in listed:
        by_topic.setdefault(record["topic"], []).append(record["id"])
    return [
        {
            "paperId": f"{n:040x}",
            "externalIds": {"ArXiv": c["id"]},
            "title": c["versions"][0]["title"],
            "abstract": c["abstract"],
            "publicationDate": c["versions"][0]["submitted"][:10],
            "related": by_topic.get(c["topic"], []),
        }
        for n, c in enumerate(candidates, start=1)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lists", type=int, default=150)
    parser.add_argument("--scale", type=float, default=100.0, help="divide the default spacing by this")
    args = parser.parse_args()
    rng = random.Random(150)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "lists").mkdir()
        listed, candidates = build_corpus(folder / "lists", args.lists, rng)
        papers = [stored_paper(r) for r in listed + candidates]
        with ArxivStandIn(papers) as arxiv, SemanticScholarStandIn(pool=s2_pool(listed, candidates)) as s2:
            db = open_db(folder / "h.db")
            import_lists(db, [read_source(p) for p in sorted((folder / "lists").glob("*.md"))], NOW)
            import asyncio

            asyncio.run(harvest_with(db, ClientConfig(base_url=arxiv.url, delay=0.0), listed_ids(db), NOW))
            arxiv.reset_log()
            enrich = EnrichConfig().with_source("semantic_scholar", base_url=s2.url, delay=S2_DELAY / args.scale)
            config = SuggestConfig(
                arxiv=ClientConfig(base_url=arxiv.url, delay=ARXIV_DELAY / args.scale), enrich=enrich
            )
            runs = []
            for label in ("first run", "second run (nothing stale)"):
                arxiv.reset_log()
                s2.reset_log()
                started = time.perf_counter()
                summary = run_suggest(db, config, now=NOW)
                wall = time.perf_counter() - started
                requests = {"arxiv": len(arxiv.requests), "semantic_scholar": len(s2.requests)}
                runs.append(_result(label, summary.as_dict(), requests, wall, args.scale))
            kept = db.execute("SELECT count(*), count(DISTINCT list_id || section) FROM suggestions").fetchone()
    result = {
        "lists": args.lists,
        "listed_papers": len(listed),
        "candidate_papers": len(candidates),
        "scale": args.scale,
        "default_spacing_s": {"arxiv": ARXIV_DELAY, "semantic_scholar": S2_DELAY},
        "suggestions_stored": kept[0],
        "sections_with_suggestions": kept[1],
        "runs": runs,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": __import__("os").cpu_count(),
    }
    (HERE / "results.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (HERE / "results.md").write_text(_markdown(result), encoding="utf-8")
    print(_markdown(result))


def _result(label: str, summary: dict[str, Any], requests: dict[str, int], wall: float, scale: float) -> dict[str, Any]:
    # The run waited (at least) requests x spacing per source; the sources run side by side,
    # so the slower one sets the pace. Scaled up: that wait at full spacing, plus the rest.
    waited = max(requests["arxiv"] * ARXIV_DELAY / scale, requests["semantic_scholar"] * S2_DELAY / scale)
    full = max(requests["arxiv"] * ARXIV_DELAY, requests["semantic_scholar"] * S2_DELAY)
    return {
        "run": label,
        "sections": summary["sections"],
        "requests": requests,
        "status": summary["status"],
        "new_suggestions": sum(s["new"] for s in summary["sources"].values()),
        "wall_s_measured": round(wall, 2),
        "wall_s_at_default_politeness": round(full + max(0.0, wall - waited), 1),
    }


def _markdown(result: dict[str, Any]) -> str:
    lines = [
        "# suggest on a generated corpus",
        "",
        f"{result['lists']} lists, {result['listed_papers']} listed papers, {result['candidate_papers']} candidate "
        f"papers; stand-ins on loopback; spacing divided by {result['scale']:g} while measuring "
        f"(default: arXiv {ARXIV_DELAY:g} s, Semantic Scholar {S2_DELAY:g} s between request starts). "
        f"Python {result['python']}, {result['machine']}, {result['cpus']} CPUs. "
        f"Rerun: `.venv/bin/python benchmarks/suggest/bench_suggest.py`.",
        "",
        "| run | sections | arXiv requests | Semantic Scholar requests | new suggestions | wall time measured | "
        "wall time at default politeness (scaled up) |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in result["runs"]:
        lines.append(
            f"| {run['run']} | {run['sections']} | {run['requests']['arxiv']} | {run['requests']['semantic_scholar']} "
            f"| {run['new_suggestions']} | {run['wall_s_measured']} s | {run['wall_s_at_default_politeness']} s |"
        )
    lines += [
        "",
        f"{result['suggestions_stored']} suggestions stored over {result['sections_with_suggestions']} sections. "
        "One request per section and source: the cost grows with the sections of 3+ papers, and arXiv's 3 s "
        "sets the pace (Semantic Scholar's requests run beside it). The scaled-up time is an estimate: the "
        "spacing the run waited, multiplied back to the default, plus everything else measured; that rest "
        "includes both stand-ins answering in this same Python process (searching 3,283 papers per arXiv "
        "query, matching recommendations), so it overstates harvester's own share. Every section keeps all of "
        "its fitting candidates (here about 38, since the generated candidates all fit their topic); `suggest` "
        "shows `--limit` (10) of them per section.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
