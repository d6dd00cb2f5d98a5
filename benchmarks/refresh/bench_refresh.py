"""Benchmark a first `harvester refresh` of a blog-sized corpus against every service's floor.

The corpus: 150 generated reading lists holding about 1,600 distinct papers, in
the shapes of tests/fixtures/reading-lists (awesome-style bullet lists with
code links, blog-style numbered entries with a dated line, a mirror link and a
paper link, and a few tables). Every service is a stand-in on loopback, started
by this script: arXiv (tests/standins/arxiv.py, synthetic mode), Semantic
Scholar and Hugging Face (tests/standins/scholar.py) and a web of 20 link hosts
(tests/standins/web.py, one server per loopback address, most code links on the
first, as most code lives on one forge). Each service is asked at its real
spacing divided by SCALE (stated in the results): arXiv 3 s, Semantic Scholar
1 s, Hugging Face 0.6 s (its published anonymous budget), 1 s per link host.

The refresh runs in a child process (`python -m harvester refresh`, as cron
runs it), so the stand-ins' threads do not compete with it for the GIL. The
servers count every request; a service's floor is its spacing x (requests - 1)
(for the links, the busiest host's). The run log gives each step's own wall time.

    .venv/bin/python benchmarks/refresh/bench_refresh.py [--scale 10] [--lists 150]

Writes results.md and results.json beside this file. Loopback only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the stand-ins live with the tests

from standins.arxiv import ArxivStandIn, synthetic_paper  # noqa: E402
from standins.scholar import HuggingFaceStandIn, SemanticScholarStandIn  # noqa: E402
from standins.web import LocalWeb, page  # noqa: E402

RERUN = ".venv/bin/python benchmarks/refresh/bench_refresh.py"
REAL_SPACING = {"arxiv": 3.0, "semantic_scholar": 1.0, "huggingface": 0.6, "links_per_host": 1.0}
LINK_HOSTS = 20
FORGE_SHARE = 0.7  # of the code links, on the first host (most code lives on one forge)
CODE_SHARE = 0.45  # of the entries, with a code link
LATENCY = (0.005, 0.02)  # seconds a link host takes to answer (already small: loopback)
PAPERS = 1600
CHILD_LIMIT = 1800  # seconds
_STEP_OF = {"arxiv": "fetch", "semantic_scholar": "enrich", "huggingface": "enrich", "links": "links"}


# --------------------------------------------------------------------------- the corpus


def paper_ids(count: int) -> list[str]:
    """New-style IDs over several years, and a few old-style ones (Hugging Face has no pages for those)."""
    ids = [f"{18 + n % 6:02d}{1 + n % 12:02d}.{10000 + n:05d}" for n in range(count - 20)]
    ids += [f"cs/{9901 + n % 12:04d}{n + 1:03d}" for n in range(20)]
    return ids


def generate_lists(folder: Path, ids: list[str], webs: list[LocalWeb], lists: int, seed: int = 13) -> dict[str, Any]:
    """`lists` markdown files that name every ID at least once, some in several lists; returns the corpus's shape."""
    rng = random.Random(seed)
    order = list(ids)
    rng.shuffle(order)
    per_list: list[list[str]] = [order[i::lists] for i in range(lists)]
    for names in per_list:  # the same paper in several lists, as curators share favourites
        names.extend(rng.sample(order, 2))
    code_links = Counter[str]()
    shapes = Counter[str]()
    for index, names in enumerate(per_list):
        shape = ("awesome", "blog", "table")[index % 7 % 3]
        shapes[shape] += 1
        text = _render(shape, index, names, webs, rng, code_links)
        (folder / f"list-{index:03d}.md").write_text(text, encoding="utf-8")
    return {
        "lists": lists,
        "shapes": dict(shapes),
        "entries": sum(len(n) for n in per_list),
        "papers": len(set(ids)),
        "code_links_per_host": dict(code_links),
    }


def _title(arxiv_id: str) -> str:
    return synthetic_paper(arxiv_id).versions[-1].title


def _code_link(arxiv_id: str, webs: list[LocalWeb], rng: random.Random, code_links: Counter[str]) -> str | None:
    if rng.random() >= CODE_SHARE:
        return None
    web = webs[0] if rng.random() < FORGE_SHARE else rng.choice(webs[1:])
    code_links[web.address] += 1
    return web.url(f"/code/{arxiv_id.replace('/', '-')}")


def _render(
    shape: str, index: int, names: list[str], webs: list[LocalWeb], rng: random.Random, code_links: Counter[str]
) -> str:
    if shape == "awesome":
        lines = [f"# Awesome Topic {index}", "", "A curated list of papers.", ""]
        for section, start in enumerate(range(0, len(names), 4)):
            lines += [f"## Section {section}", ""]
            for arxiv_id in names[start : start + 4]:
                code = _code_link(arxiv_id, webs, rng, code_links)
                line = f"- [{_title(arxiv_id)}](https://arxiv.org/abs/{arxiv_id})"
                lines.append(line + (f" [[code]]({code})" if code else ""))
            lines.append("")
        return "\n".join(lines)
    if shape == "blog":
        lines = ["---", "layout: article", f'title: "Resources {index}"', "---", "", "# 1 Papers"]
        for arxiv_id in names:
            published = synthetic_paper(arxiv_id).versions[0].submitted
            code = _code_link(arxiv_id, webs, rng, code_links)
            lines += [
                f"1. [{_title(arxiv_id)}](http://cn.arxiv.org/abs/{arxiv_id})  ",
                f"*{published:%Y-%m-%d}* [paper](https://arxiv.org/abs/{arxiv_id})"
                + (f" | [Code]({code})" if code else "")
                + "  ",
                "notes on the method.  ",
                "",
            ]
        return "\n".join(lines)
    lines = [f"# Paper table {index}", "", "| Title | Venue | Paper | Code |", "|---|---|---|---|"]
    for arxiv_id in names:
        code = _code_link(arxiv_id, webs, rng, code_links)
        code_cell = f"[code]({code})" if code else ""
        lines.append(f"| {_title(arxiv_id)} | arXiv | [link](https://arxiv.org/abs/{arxiv_id}) | {code_cell} |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- the services


def start_web(seed: int = 7) -> list[LocalWeb]:
    rng = random.Random(seed)
    webs = []
    for index in range(LINK_HOSTS):
        web = LocalWeb(address=f"127.0.0.{index + 1}", latency=lambda: rng.uniform(*LATENCY)).start()
        webs.append(web)
    return webs


def route_code_pages(webs: list[LocalWeb], folder: Path) -> None:
    """Every code link the lists name answers with a page."""
    for path in folder.glob("*.md"):
        for web in webs:
            prefix = web.url("/code/")
            text = path.read_text(encoding="utf-8")
            start = 0
            while (found := text.find(prefix, start)) >= 0:
                end = text.find(")", found)
                web.route(text[found + len(web.url("")) : end], page("Code"))
                start = end


def enrichment_data(ids: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """About 70% known to Semantic Scholar, a third with a Hugging Face page (a code repository for half of those)."""
    s2, hf = {}, {}
    for n, arxiv_id in enumerate(ids):
        if n % 10 < 7:
            s2[arxiv_id] = {
                "paperId": f"{n:040d}",
                "externalIds": {"ArXiv": arxiv_id, "CorpusId": n},
                "venue": "",
                "publicationVenue": None,
                "year": 2020,
                "journal": None,
                "citationCount": n % 50,
            }
        if n % 3 == 0:
            hf[arxiv_id] = {"id": arxiv_id, "title": _title(arxiv_id), "upvotes": 0} | (
                {"githubRepo": f"https://github.com/example/{arxiv_id.replace('/', '-')}"} if n % 6 == 0 else {}
            )
    return s2, hf


# --------------------------------------------------------------------------- one run


def run_refresh(
    scale: float, lists: Path, db: Path, arxiv: ArxivStandIn, s2: Any, hf: Any, webs: list[LocalWeb]
) -> dict[str, Any]:
    spacing = {name: seconds / scale for name, seconds in REAL_SPACING.items()}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HARVESTER_", "HF_", "SEMANTIC_SCHOLAR_"))}
    env |= {
        "HARVESTER_ARXIV_URL": arxiv.url,
        "HARVESTER_ARXIV_DELAY": str(spacing["arxiv"]),
        "HARVESTER_S2_URL": s2.url,
        "HARVESTER_S2_DELAY": str(spacing["semantic_scholar"]),
        "HARVESTER_HF_URL": hf.url,
        "HARVESTER_HF_DELAY": str(spacing["huggingface"]),
        "HARVESTER_LINKS_DELAY": str(spacing["links_per_host"]),
        "HARVESTER_ENRICH_SOURCES": "semantic_scholar,huggingface",
    }
    # Only loopback and arXiv's own links (judged without a request): nothing leaves the machine.
    only_local = ["--allow-private", "--exclude", r"^https?://(?!127\.0\.0\.\d+[:/]|(\w+\.)?arxiv\.org/)"]
    command = [sys.executable, "-m", "harvester", "--db", str(db), "refresh", str(lists), *only_local, "--json"]
    for service in (arxiv, s2, hf):
        service.reset_log()
    for web in webs:
        web.requests.clear()
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=CHILD_LIMIT)
    wall = time.perf_counter() - started
    try:
        report = json.loads(done.stdout)
    except ValueError:
        report = {"status": f"exit {done.returncode}", "stderr": done.stderr[-2000:]}
    with sqlite3.connect(db) as conn:
        (steps_json,) = conn.execute("SELECT steps FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    steps = json.loads(steps_json or "{}")
    per_host = Counter({web.address: len(web.requests) for web in webs})
    requests = {
        "arxiv": len(arxiv.requests),
        "semantic_scholar": len(s2.requests),
        "huggingface": len(hf.requests),
        "links_busiest_host": max(per_host.values(), default=0),
        "links_all_hosts": sum(per_host.values()),
    }
    floors = {
        "arxiv": spacing["arxiv"] * max(0, requests["arxiv"] - 1),
        "semantic_scholar": spacing["semantic_scholar"] * max(0, requests["semantic_scholar"] - 1),
        "huggingface": spacing["huggingface"] * max(0, requests["huggingface"] - 1),
        "links": spacing["links_per_host"] * max(0, requests["links_busiest_host"] - 1),
    }
    slowest = max(floors, key=lambda name: floors[name])
    step_seconds = {name: step.get("seconds") for name, step in steps.items()}
    return {
        "exit_code": done.returncode,
        "status": report.get("status"),
        "errors": report.get("errors"),
        "wall_s": round(wall, 2),
        "run_log_s": _run_seconds(db),
        "spacing_s": spacing,
        "requests": requests,
        "requests_per_link_host": dict(per_host),
        "floors_s": {k: round(v, 2) for k, v in floors.items()},
        "slowest_service": slowest,
        "slowest_floor_s": round(floors[slowest], 2),
        "wall_over_slowest_floor": round(wall / floors[slowest], 3) if floors[slowest] else None,
        "sum_of_floors_s": round(sum(floors.values()), 2),
        "step_seconds": step_seconds,
        "sum_of_steps_s": round(sum(v for v in step_seconds.values() if v is not None), 2),
        "step_counts": {name: step.get("counts") for name, step in steps.items()},
        "step_statuses": {name: step.get("status") for name, step in steps.items()},
        "stderr_tail": done.stderr[-600:] if done.returncode else "",
    }


def _run_seconds(db: Path) -> float | None:
    with sqlite3.connect(db) as conn:
        started, ended = conn.execute("SELECT started_at, ended_at FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    if not started or not ended:
        return None
    parse = lambda text: datetime.fromisoformat(text.replace("Z", "+00:00"))  # noqa: E731
    return (parse(ended) - parse(started)).total_seconds()


# --------------------------------------------------------------------------- report


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "nproc": os.cpu_count(),
        "loadavg_before": os.getloadavg(),
        "harvester": version("harvester"),
    }


def render(report: dict[str, Any]) -> str:
    r, m, corpus = report["run"], report["machine"], report["corpus"]
    scale = report["scale"]
    real = REAL_SPACING
    floors, steps = r["floors_s"], r["step_seconds"]
    lines = [
        "# First refresh of a blog-sized corpus",
        "",
        f"Measured {report['date']} on {m['platform']}, {m['nproc']} CPUs, CPython {m['python']} "
        f"(load average before the run {', '.join(f'{x:.1f}' for x in m['loadavg_before'])}). "
        "The machine was shared with other jobs while this ran: absolute times are noisy; "
        "the ratios (wall time over the slowest service's floor, over the sum of the steps) are what count.",
        "",
        "Produced by this command, run from the repository root (a rerun rewrites this file and `results.json`):",
        "",
        f"    {report['command']}",
        "",
        f"Corpus: {corpus['lists']} generated lists ({', '.join(f'{n} {s}' for s, n in corpus['shapes'].items())}), "
        f"{corpus['entries']:,} entries, {corpus['papers']:,} distinct papers, "
        f"{sum(corpus['code_links_per_host'].values()):,} code links over {LINK_HOSTS} hosts "
        f"({max(corpus['code_links_per_host'].values())} on the busiest). "
        "Every service is a loopback stand-in; the refresh runs as a child process (`python -m harvester refresh`).",
        "",
        f"**Spacing scaled down {scale:g}x**: every service was asked at its real spacing divided by {scale:g} "
        f"(arXiv {real['arxiv']:g} s -> {r['spacing_s']['arxiv']:g} s, Semantic Scholar {real['semantic_scholar']:g} s -> "
        f"{r['spacing_s']['semantic_scholar']:g} s, Hugging Face {real['huggingface']:g} s -> {r['spacing_s']['huggingface']:g} s, "
        f"each link host {real['links_per_host']:g} s -> {r['spacing_s']['links_per_host']:g} s). "
        f"Times below are as measured; multiply the floors by {scale:g} for the real ones. CPU work (parsing, "
        f"SQLite, reconciliation) is not scaled, so the ratios here are pessimistic: at real spacing the same CPU "
        f"hides in a {scale:g}x longer wait.",
        "",
        "## Wall time against the floors",
        "",
        "| service | requests | spacing s | floor s (spacing x (requests - 1)) | floor at real spacing |",
        "|---|---:|---:|---:|---:|",
        f"| arXiv | {r['requests']['arxiv']} | {r['spacing_s']['arxiv']:g} | {floors['arxiv']:.1f} | {floors['arxiv'] * scale:,.0f} s |",
        f"| Semantic Scholar | {r['requests']['semantic_scholar']} | {r['spacing_s']['semantic_scholar']:g} | "
        f"{floors['semantic_scholar']:.1f} | {floors['semantic_scholar'] * scale:,.0f} s |",
        f"| Hugging Face | {r['requests']['huggingface']} | {r['spacing_s']['huggingface']:g} | {floors['huggingface']:.1f} | "
        f"{floors['huggingface'] * scale:,.0f} s |",
        f"| links (busiest of {LINK_HOSTS} hosts; {r['requests']['links_all_hosts']} requests in all) | "
        f"{r['requests']['links_busiest_host']} | {r['spacing_s']['links_per_host']:g} | {floors['links']:.1f} | "
        f"{floors['links'] * scale:,.0f} s |",
        "",
        "| measure | seconds | ratio |",
        "|---|---:|---:|",
        f"| slowest service's floor ({r['slowest_service']}) | {r['slowest_floor_s']:.1f} | 1.00x |",
        f"| **refresh wall time** (the child process, start to exit) | **{r['wall_s']:.1f}** | "
        f"**{r['wall_over_slowest_floor']:.3f}x** |",
        f"| sum of the floors (every service one after another) | {r['sum_of_floors_s']:.1f} | "
        f"{r['sum_of_floors_s'] / r['slowest_floor_s']:.2f}x |",
        f"| sum of the steps' own wall times (run log) | {r['sum_of_steps_s']:.1f} | "
        f"{r['sum_of_steps_s'] / r['slowest_floor_s']:.2f}x |",
        "",
        f"Goal: within 1.1x of the slowest service's floor. Result: {r['wall_over_slowest_floor']:.3f}x "
        f"({'met' if r['wall_over_slowest_floor'] and r['wall_over_slowest_floor'] <= 1.1 else 'not met'}); "
        f"the steps one after another would take {r['sum_of_steps_s'] / r['wall_s']:.2f}x the wall time.",
        "",
        f"Where the {r['wall_s'] - r['slowest_floor_s']:.1f} s above the floor go: the process starting and importing "
        f"the lists before any service can be asked (import step {steps.get('import')} s), reconciliation after the "
        f"last answer (reconcile step {steps.get('reconcile')} s), and the slowest service's own step running "
        f"{(steps.get(_STEP_OF[r['slowest_service']]) or 0) - r['slowest_floor_s']:.1f} s past its floor (the event loop "
        "waking late on a busy machine, each answer stored). None of it grows with the spacing: at real spacing "
        f"(floor x {scale:g}) the same seconds would give about "
        f"{(r['slowest_floor_s'] * scale + r['wall_s'] - r['slowest_floor_s']) / (r['slowest_floor_s'] * scale):.3f}x "
        "(an estimate, not a measurement).",
        "",
        "## Each step (the run log's rows)",
        "",
        "| step | status | seconds | counts |",
        "|---|---|---:|---|",
    ]
    for name, seconds in steps.items():
        counts = r["step_counts"].get(name) or {}
        shown = ", ".join(
            f"{k} {v}" for k, v in counts.items() if isinstance(v, int | float) and not isinstance(v, bool)
        )
        lines.append(f"| {name} | {r['step_statuses'].get(name)} | {seconds} | {shown} |")
    lines += [
        "",
        "Import runs alone; then fetch (arXiv) and enrich (Semantic Scholar and Hugging Face, side by side) run "
        "at once, reconcile when both are done, and links beside all of it (its links to arXiv judged once the "
        "papers are in). The steps' seconds add up to more than the wall time because they overlap. The `dead` "
        "links are the blog-shaped lists' links to the retired cn.arxiv.org mirror, judged without a request.",
        "",
        f"Run status: {r['status']} (exit {r['exit_code']})"
        + (f"; errors: {r['errors']}" if r["errors"] else "")
        + ".",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=10.0, help="real spacing divided by this (default 10)")
    parser.add_argument("--lists", type=int, default=150)
    parser.add_argument("--papers", type=int, default=PAPERS)
    args = parser.parse_args(argv)
    ids = paper_ids(args.papers)
    s2_data, hf_data = enrichment_data(ids)
    report: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join([RERUN, *(argv if argv is not None else sys.argv[1:])]),
        "scale": args.scale,
        "real_spacing_s": REAL_SPACING,
        "machine": machine(),
    }
    webs = start_web()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="bench-refresh-") as tmp,
            ArxivStandIn(synthetic=True) as arxiv,
            SemanticScholarStandIn(s2_data) as s2,
            HuggingFaceStandIn(hf_data) as hf,
        ):
            lists = Path(tmp) / "lists"
            lists.mkdir()
            report["corpus"] = generate_lists(lists, ids, webs, args.lists)
            route_code_pages(webs, lists)
            print(f"corpus: {report['corpus']['lists']} lists, {report['corpus']['papers']} papers; refreshing ...")
            report["run"] = run_refresh(args.scale, lists, Path(tmp) / "h.db", arxiv, s2, hf, webs)
    finally:
        for web in webs:
            web.stop()
    run = report["run"]
    print(
        f"wall {run['wall_s']} s, slowest floor {run['slowest_floor_s']} s ({run['slowest_service']}), "
        f"ratio {run['wall_over_slowest_floor']}, sum of steps {run['sum_of_steps_s']} s, status {run['status']}"
    )
    (HERE / "results.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    (HERE / "results.md").write_text(render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
