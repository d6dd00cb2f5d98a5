"""Benchmark harvester's link checker against LinkChecker and lychee on a local slow web.

The web: 20 HTTP servers, one per loopback address (127.0.0.1 to 127.0.0.20),
each answering after 50-200 ms. The links: 500, 25 per host, the same mix on
every host (20 pages, 2 permanent redirects, 1 temporary redirect, 1 404,
1 410). Every tool gets the same politeness: 8 requests in flight, 2 per host,
at most 4 request starts a second per host (0.25 s apart), 2 retries, 10 s
time-out. Each tool checks the list twice: cold, and again at once (warm: harvester
skips links still `ok` within max_age, lychee reads its `.lycheecache`,
LinkChecker keeps no cache). Requests are counted by the servers.

    .venv/bin/python benchmarks/links/bench_links.py [--skip-linkchecker] [--skip-lychee]

Writes results.md and results.json beside this file. Loopback only; every
external process runs under a time limit.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the test web lives with the tests

from sqlite_utils import Database  # noqa: E402
from standins.web import LocalWeb, Reply, page, redirect  # noqa: E402

import harvester  # noqa: E402
from harvester.links import LinkCheckConfig, check_links  # noqa: E402
from harvester.schema import MIGRATION_SETS  # noqa: E402

HOSTS = 20
PER_HOST_LINKS = 25
LATENCY = (0.05, 0.20)
CONCURRENCY, PER_HOST, INTERVAL, RETRIES, TIMEOUT = 8, 2, 0.25, 2, 10.0
RUN_LIMIT = 300  # seconds, for each external tool run
VENV_BIN = Path(sys.executable).parent


@dataclass
class Measure:
    tool: str
    run: str  # cold | warm
    wall_s: float
    requests: int
    outcome: dict[str, int] = field(default_factory=dict)
    note: str = ""


# ---------------------------------------------------------------- the web


def start_web(seed: int = 7) -> list[LocalWeb]:
    rng = random.Random(seed)
    webs = []
    for index in range(HOSTS):
        web = LocalWeb(address=f"127.0.0.{index + 1}", latency=lambda: rng.uniform(*LATENCY)).start()
        for path, replies in routes().items():
            web.route(path, *replies)
        webs.append(web)
    return webs


def routes() -> dict[str, tuple[Reply, ...]]:
    table: dict[str, tuple[Reply, ...]] = {}
    for i in range(PER_HOST_LINKS):
        kind = kind_of(i)
        if kind == "page":
            table[f"/p{i}"] = (page(f"Paper {i}"),)
        elif kind in ("permanent", "temporary"):
            table[f"/p{i}"] = (redirect(301 if kind == "permanent" else 302, f"/t{i}"),)
            table[f"/t{i}"] = (page(f"Target {i}"),)
        else:
            table[f"/p{i}"] = (Reply(404 if kind == "404" else 410),)
    return table


def kind_of(i: int) -> str:
    return {20: "permanent", 21: "permanent", 22: "temporary", 23: "404", 24: "410"}.get(i, "page")


def link_urls(webs: list[LocalWeb]) -> list[str]:
    return [web.url(f"/p{i}") for i in range(PER_HOST_LINKS) for web in webs]


def requests_seen(webs: list[LocalWeb]) -> int:
    return sum(len(web.requests) for web in webs)


def reset(webs: list[LocalWeb]) -> None:
    for web in webs:
        web.requests.clear()


def measure(tool: str, run: str, webs: list[LocalWeb], action: Callable[[], tuple[dict[str, int], str]]) -> Measure:
    reset(webs)
    started = time.perf_counter()
    outcome, note = action()
    wall = time.perf_counter() - started
    result = Measure(tool, run, round(wall, 2), requests_seen(webs), outcome, note)
    print(f"{tool:12} {run:5} {result.wall_s:7.2f} s {result.requests:5} requests {outcome} {note}", file=sys.stderr)
    return result


# ---------------------------------------------------------------- harvester


def harvester_db(path: Path, urls: list[str]) -> Database:
    db = Database(path)
    for migrations in MIGRATION_SETS:
        migrations.apply(db)
    db["lists"].insert(
        {"id": 1, "path": "/bench.md", "name": "bench.md", "sha256": "0", "size": 0, "imported_at": "2026-01-01"}
    )
    for line, url in enumerate(urls, start=1):
        entry = {
            "list_id": 1,
            "entry_key": f"e{line}",
            "section": "Bench",
            "position": line,
            "line": line,
            "end_line": line,
            "raw": url,
            "is_paper": 1,
            "arxiv_ids": "[]",
            "first_seen": "2026-01-01",
            "updated_at": "2026-01-01",
        }
        entry_id = db["entries"].insert(entry).last_pk
        db["entry_links"].insert(
            {"entry_id": entry_id, "position": 0, "url": url, "label": "x", "role": "title", "line": line}
        )
    return db


def run_harvester(db: Database) -> tuple[dict[str, int], str]:
    config = LinkCheckConfig(
        concurrency=CONCURRENCY,
        per_host=PER_HOST,
        per_host_delay=INTERVAL,
        retries=RETRIES,
        timeout=TIMEOUT,
        allow_private=True,
    )
    report = asyncio.run(check_links(db, config))
    counts = {verdict: n for verdict, n in report.counts().items() if n}
    return counts, f"checked {report.checked}, not due {report.not_due}"


# ---------------------------------------------------------------- LinkChecker


def run_linkchecker(workdir: Path, html: Path) -> tuple[dict[str, int], str]:
    config = workdir / "linkcheckerrc"
    config.write_text(
        f"[checking]\nthreads={CONCURRENCY}\nmaxrequestspersecond={1 / INTERVAL:g}\ntimeout={TIMEOUT:g}\n"
        "recursionlevel=1\n[filtering]\ncheckextern=1\n[output]\nstatus=0\nwarnings=0\n",
        encoding="utf-8",
    )
    out = workdir / "linkchecker.csv"
    command = [
        str(VENV_BIN / "linkchecker"),
        "-f",
        str(config),
        "--no-robots",
        "--check-extern",
        "--verbose",
        "-o",
        "none",
        "-F",
        f"csv/utf-8/{out}",
        html.as_uri(),
    ]
    subprocess.run(command, cwd=workdir, env=_clean_env(), capture_output=True, timeout=RUN_LIMIT, check=False)
    return _linkchecker_outcome(out), "no result cache; --no-robots"


def _linkchecker_outcome(path: Path) -> dict[str, int]:
    if not path.exists():
        return {"error": 1}
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    rows = list(csv.DictReader(lines, delimiter=";"))
    links = [row for row in rows if row.get("urlname", "").startswith("http")]
    return dict(Counter("valid" if row.get("valid") == "True" else "invalid" for row in links))


# ---------------------------------------------------------------- lychee


def run_lychee(workdir: Path, markdown: Path) -> tuple[dict[str, int], str]:
    out = workdir / "lychee.json"
    command = [
        str(VENV_BIN / "lychee"),
        "--no-progress",
        "--cache",
        "--max-concurrency",
        str(CONCURRENCY),
        "--host-concurrency",
        str(PER_HOST),
        "--host-request-interval",
        f"{int(INTERVAL * 1000)}ms",
        "--max-retries",
        str(RETRIES),
        "--timeout",
        str(int(TIMEOUT)),
        "--format",
        "json",
        "--output",
        str(out),
        str(markdown),
    ]
    subprocess.run(command, cwd=workdir, env=_clean_env(), capture_output=True, timeout=RUN_LIMIT, check=False)
    return _lychee_outcome(out), "--cache (.lycheecache)"


def _lychee_outcome(path: Path) -> dict[str, int]:
    if not path.exists():
        return {"error": 1}
    stats = json.loads(path.read_text(encoding="utf-8"))
    keys = ("successful", "redirects", "errors", "cached", "excludes", "timeouts")
    return {key: stats[key] for key in keys if stats.get(key)}


def _clean_env() -> dict[str, str]:
    # No proxy may send loopback traffic elsewhere.
    return {k: v for k, v in os.environ.items() if "proxy" not in k.lower()} | {"NO_PROXY": "*"}


# ---------------------------------------------------------------- report


def write_results(measures: list[Measure], links: int) -> None:
    meta = {
        "harvester": harvester.__version__,
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "links": links,
        "hosts": HOSTS,
        "latency_s": list(LATENCY),
        "politeness": {
            "concurrency": CONCURRENCY,
            "per_host": PER_HOST,
            "per_host_interval_s": INTERVAL,
            "retries": RETRIES,
        },
        "minimum_requests": links + HOSTS * 3,  # every link once, plus the 3 redirect targets per host
    }
    (HERE / "results.json").write_text(
        json.dumps({"setup": meta, "runs": [asdict(m) for m in measures]}, indent=2) + "\n", encoding="utf-8"
    )
    lines = [
        "# Link checking benchmark",
        "",
        f"{links} links over {HOSTS} loopback hosts, {LATENCY[0] * 1000:.0f}-{LATENCY[1] * 1000:.0f} ms per response; "
        f"{CONCURRENCY} requests in flight, {PER_HOST} per host, {INTERVAL:g} s between starts to one host, "
        f"{RETRIES} retries. Mix per host: 20 pages, 2 permanent redirects, 1 temporary redirect, 1 404, 1 410 "
        f"(at least {meta['minimum_requests']} requests for a full check). Produced by `bench_links.py`; "
        f"{meta['machine']}, Python {meta['python']}.",
        "",
        "| tool | run | wall time (s) | requests | outcome | note |",
        "|---|---|---:|---:|---|---|",
    ]
    for m in measures:
        outcome = ", ".join(f"{k} {v}" for k, v in m.outcome.items())
        lines.append(f"| {m.tool} | {m.run} | {m.wall_s:.2f} | {m.requests} | {outcome} | {m.note} |")
    lines += [
        "",
        "Warm means the same list checked again at once. harvester then re-checks only what was not `ok`",
        "within `max_age` (moved, redirected and dead links stay due); lychee answers from its cache;",
        "LinkChecker has no result cache and checks everything again.",
        "",
        "Politeness is matched as closely as each tool allows: lychee takes the same global limit,",
        "per-host concurrency and per-host interval; LinkChecker has no per-host concurrency setting, only",
        "`threads` (8) and `maxrequestspersecond` per host (4), and its wall time above is what that gives.",
        "Request counts are what the 20 servers saw; the minimum for a full check is every link once plus",
        "the redirect targets.",
        "",
    ]
    (HERE / "results.md").write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-linkchecker", action="store_true")
    parser.add_argument("--skip-lychee", action="store_true")
    args = parser.parse_args()
    webs = start_web()
    urls = link_urls(webs)
    measures: list[Measure] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            workdir.chmod(0o777)  # LinkChecker drops root privileges to nobody
            html = workdir / "links.html"
            html.write_text(
                "<html><body>" + "".join(f'<a href="{u}">{u}</a>\n' for u in urls) + "</body></html>", encoding="utf-8"
            )
            html.chmod(0o644)
            markdown = workdir / "links.md"
            markdown.write_text("".join(f"- [link]({u})\n" for u in urls), encoding="utf-8")
            db = harvester_db(workdir / "bench.db", urls)
            for run in ("cold", "warm"):
                measures.append(measure("harvester", run, webs, lambda: run_harvester(db)))
            if not args.skip_linkchecker and shutil.which(str(VENV_BIN / "linkchecker")):
                for run in ("cold", "warm"):
                    measures.append(measure("LinkChecker", run, webs, lambda: run_linkchecker(workdir, html)))
            if not args.skip_lychee and shutil.which(str(VENV_BIN / "lychee")):
                for run in ("cold", "warm"):
                    measures.append(measure("lychee", run, webs, lambda: run_lychee(workdir, markdown)))
    finally:
        for web in webs:
            web.stop()
    write_results(measures, len(urls))


if __name__ == "__main__":
    main()
