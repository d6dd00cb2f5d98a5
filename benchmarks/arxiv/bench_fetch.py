"""Benchmark harvester's arXiv fetching against a local stand-in, and arxiv.py beside it.

What is measured, against tests/standins/arxiv.py started by this script on
127.0.0.1 (synthetic mode: any valid ID not among the seed papers becomes a
generated paper):

1. harvester fetching the 19 seed IDs, 1,000 and 10,000 IDs (2001.00001 ...)
   at delay 0 and batch size 500: HTTP requests (counted by the stand-in and
   by the client), wall time, and memory, for the full path (client plus
   `harvest` writing every batch to a fresh SQLite file) and for the client
   alone (`fetch_many` with an `on_batch` that discards).
2. `parse_feed` throughput on the recorded 100-entry page: the plain
   one-pass reader every API response now takes, the feedparser-backed
   tolerant reader (what every response took before), and arxiv.py's parser.
3. The PyPI package `arxiv` (arxiv.py) fetching the same IDs from the same
   stand-in, and whether both tools agree on title, authors and categories.
4. The missing-ID case: 1,600 IDs of which 8 are not on arXiv (the stand-in
   leaves them out): requests made, and the floor they cost at arXiv's 3 s
   spacing against the floor of the same fetch with nothing missing.

Every fetch runs in a fresh child process (this file with --worker), so its
peak RSS (getrusage) belongs to that one run; the stand-in stays in this
process and its request log is read after each child. Wall times come from
runs without tracemalloc; tracemalloc peaks come from separate runs of the
same fetch, because tracing slows allocation-heavy parsing several times
(about ten times for harvester's parser). By default the traced runs stop at
1,000 IDs and the whole benchmark takes about 2.5 minutes on 2 cores;
--trace-large adds traced runs at 10,000 IDs (about 6 minutes in all).

    .venv/bin/python benchmarks/arxiv/bench_fetch.py [--trace-large] [--repeats N] [--no-tracemalloc]

Writes results.md and results.json beside this file. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the stand-in lives with the tests

SEED_FILE = ROOT / "tests" / "fixtures" / "arxiv" / "seed_papers.json"
PAGE_FILE = ROOT / "tests" / "fixtures" / "arxiv" / "responses" / "q_testing_s0_m100_cfe7536492ca.xml"
RERUN = ".venv/bin/python benchmarks/arxiv/bench_fetch.py"

SIZES = (19, 1000, 10000)
BATCH_SIZE = 500  # harvester's default
ARXIVPY_PAGE_SIZE = 2000  # the largest page arXiv's API documents
ARXIVPY_RETRIES = 5  # harvester makes up to 6 attempts per request: 1 + 5 retries
ARXIVPY_CHUNKS = (500, 2000)  # id_list splits tried for arxiv.py (only where they split)
CHILD_LIMIT = 600  # seconds, for any one child run
PARSE_ROUNDS = 7
MISSING_IDS, MISSING_ABSENT = 1600, 8  # the missing-ID case: 8 absent among 1,600
ARXIV_SPACING = 3.0  # seconds between requests arXiv asks for: the floor is spacing x (requests - 1)
PARSE_ROUND_SECONDS = 0.5


# --------------------------------------------------------------------------- child side


def _rss_now_kib() -> int | None:
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def _rss_peak_kib() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS, KiB on Linux


class _Sampler:
    """Memory after each batch (harvester) or each 500 results (arxiv.py)."""

    def __init__(self, traced: bool) -> None:
        self.traced = traced
        self.rss_kib: list[int | None] = []
        self.traced_bytes: list[int] = []

    def __call__(self, *_: object) -> None:
        self.rss_kib.append(_rss_now_kib())
        if self.traced:
            import tracemalloc

            self.traced_bytes.append(tracemalloc.get_traced_memory()[0])


def _worker(spec: dict[str, Any]) -> dict[str, Any]:
    ids: list[str] = json.loads(Path(spec["ids_file"]).read_text())
    traced = spec["mode"] == "mem"
    sampler = _Sampler(traced)
    out: dict[str, Any] = {"error": None}
    if spec["tool"] in ("harvester_full", "harvester_client"):
        run = _harvester_run(spec, ids, sampler, out)
    else:
        run = _arxivpy_run(spec, ids, sampler, out)
    out["rss_before_kib"] = _rss_now_kib()
    if traced:
        import tracemalloc

        tracemalloc.start()
    started = time.perf_counter()
    try:
        run()
    except Exception as error:  # a failed fetch is a result, not a crash
        out["error"] = f"{type(error).__name__}: {error}"
    out["wall_s"] = time.perf_counter() - started
    if traced:
        import tracemalloc

        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out["tracemalloc_peak_bytes"] = peak
        out["tracemalloc_end_bytes"] = current
    out["rss_peak_kib"] = _rss_peak_kib()
    out["rss_samples_kib"] = sampler.rss_kib
    out["traced_samples_bytes"] = sampler.traced_bytes
    if spec.get("digest_file") and spec["tool"] == "harvester_full" and out["error"] is None:
        Path(spec["digest_file"]).write_text(json.dumps(_digest_from_db(spec["db"])))
    return out


def _harvester_run(spec: dict[str, Any], ids: list[str], sampler: _Sampler, out: dict[str, Any]):
    from harvester.arxiv.client import ArxivClient, make_http_client
    from harvester.arxiv.config import ClientConfig
    from harvester.harvest import harvest
    from harvester.store import open_db
    from harvester.timeutil import utc_now

    config = ClientConfig(base_url=spec["url"], delay=0.0, batch_size=BATCH_SIZE)
    db = open_db(spec["db"]) if spec["tool"] == "harvester_full" else None  # created before the clock starts
    http_client = make_http_client(config)  # likewise (arxiv.py's Client is also built before)

    async def fetch() -> None:
        async with http_client as http:
            client = ArxivClient(http, config)
            try:
                if db is not None:
                    summary = await harvest(db, client, ids, utc_now(), progress=sampler)
                    out.update(papers=summary.fetched, batches=summary.batches, missing=len(summary.missing))
                    if summary.failed:
                        out["error"] = summary.failed
                else:
                    summary = await client.fetch_many(ids, on_batch=sampler)  # discards each batch
                    out.update(papers=summary.papers_fetched, batches=summary.batches, missing=len(summary.missing))
            finally:
                out["client_requests"] = client.requests_made

    return lambda: asyncio.run(fetch())


def _arxivpy_run(spec: dict[str, Any], ids: list[str], sampler: _Sampler, out: dict[str, Any]):
    import arxiv

    client = arxiv.Client(page_size=ARXIVPY_PAGE_SIZE, delay_seconds=0, num_retries=ARXIVPY_RETRIES)
    client.query_url_format = spec["url"] + "?{}"  # the instance attribute overrides arXiv's address
    sent: list[int] = []
    # arxiv.py keeps its requests.Session in a private attribute; a response hook counts what it sends.
    client._session.hooks["response"].append(lambda response, *a, **k: sent.append(response.status_code))
    chunk = spec.get("chunk") or len(ids) or 1
    searches = [
        arxiv.Search(id_list=ids[i : i + chunk], max_results=len(ids[i : i + chunk])) for i in range(0, len(ids), chunk)
    ]
    out["url_chars"] = max(len(client._format_url(s, 0, client.page_size)) for s in searches)
    digest: dict[str, Any] | None = {} if spec["mode"] == "digest" else None

    def fetch() -> None:
        count = 0
        try:
            for search in searches:
                for result in client.results(search):
                    count += 1
                    if count % BATCH_SIZE == 0:
                        sampler()
                    if digest is not None:
                        key = result.get_short_id().rsplit("v", 1)[0]
                        digest[key] = [result.title, [a.name for a in result.authors], sorted(set(result.categories))]
        finally:
            out["papers"] = count
            out["client_requests"] = len(sent)
            out["client_statuses"] = sorted(set(sent))
            if digest is not None and spec.get("digest_file"):
                Path(spec["digest_file"]).write_text(json.dumps(digest))

    return fetch


def _digest_from_db(path: str) -> dict[str, Any]:
    import sqlite3

    connection = sqlite3.connect(path)
    try:
        digest: dict[str, Any] = {
            arxiv_id: [title, [], []] for arxiv_id, title in connection.execute("SELECT arxiv_id, title FROM papers")
        }
        for arxiv_id, name in connection.execute(
            "SELECT pa.arxiv_id, a.name FROM paper_authors pa JOIN authors a ON a.id = pa.author_id "
            "ORDER BY pa.arxiv_id, pa.position"
        ):
            digest[arxiv_id][1].append(name)
        for arxiv_id, category in connection.execute("SELECT arxiv_id, category FROM paper_categories"):
            digest[arxiv_id][2].append(category)
        for value in digest.values():
            value[2] = sorted(set(value[2]))
        return digest
    finally:
        connection.close()


# --------------------------------------------------------------------------- parent side


def _seed_ids() -> list[str]:
    return [paper["id"] for paper in json.loads(SEED_FILE.read_text())["papers"]]


def _id_set(size: int) -> list[str]:
    if size == 19:
        return _seed_ids()
    return [f"2001.{n:05d}" for n in range(1, size + 1)]


class Runner:
    def __init__(self, standin: Any, workdir: Path) -> None:
        self.standin = standin
        self.workdir = workdir
        self.serial = 0

    def run(self, spec: dict[str, Any], log_requests: bool = True) -> dict[str, Any]:
        """One child run; with log_requests the stand-in's log is reset and read (runs must not overlap)."""
        self.serial += 1
        spec = {**spec, "url": self.standin.url}
        if spec["tool"] == "harvester_full":
            spec["db"] = str(self.workdir / f"run{self.serial}.db")
        if log_requests:
            self.standin.reset_log()
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=CHILD_LIMIT, cwd=ROOT)
        except subprocess.TimeoutExpired:
            return {"error": f"child run exceeded {CHILD_LIMIT} s"}
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines:
            return {"error": f"child exited {done.returncode}: {done.stderr.strip()[-400:]}"}
        result = json.loads(lines[-1])
        if spec.get("db"):
            for suffix in ("", "-wal", "-shm"):
                Path(spec["db"] + suffix).unlink(missing_ok=True)
        if log_requests:
            log = self.standin.requests
            result["standin_requests"] = len(log)
            result["standin_methods"] = sorted({r.method for r in log})
            result["standin_statuses"] = sorted({r.status for r in log if r.status is not None})
            result["standin_max_ids_per_request"] = max((len(r.ids) for r in log), default=0)
            result["standin_busy_s"] = round(sum((r.ended or r.started) - r.started for r in log), 4)
        return result


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _time_runs(runner: Runner, spec: dict[str, Any], repeats: int) -> dict[str, Any]:
    runs = []
    for index in range(repeats):
        digest = spec.get("digest_file") if index == 0 else None
        runs.append(runner.run({**spec, "mode": "time", "digest_file": digest}))
    ok = [r for r in runs if not r.get("error")]
    first = runs[0]
    return {
        "runs": runs,
        "error": first.get("error"),
        "wall_s_median": _median([r["wall_s"] for r in ok]),
        "wall_s_all": [round(r["wall_s"], 4) for r in runs if "wall_s" in r],
        "rss_peak_kib_median": _median([r["rss_peak_kib"] for r in ok]),
        "standin_requests": first.get("standin_requests"),
        "client_requests": first.get("client_requests"),
        "papers": first.get("papers"),
        "batches": first.get("batches"),
    }


def _agreement(reference: dict[str, Any], other: dict[str, Any], limit: int = 3) -> dict[str, Any]:
    mismatches: list[dict[str, Any]] = []
    fields = ("title", "authors", "categories")
    for arxiv_id in sorted(set(reference) | set(other)):
        mine, theirs = reference.get(arxiv_id), other.get(arxiv_id)
        if mine is None or theirs is None:
            mismatches.append(
                {"id": arxiv_id, "field": "presence", "harvester": mine is not None, "arxiv.py": theirs is not None}
            )
            continue
        for name, a, b in zip(fields, mine, theirs, strict=True):
            if a != b:
                mismatches.append({"id": arxiv_id, "field": name, "harvester": a, "arxiv.py": b})
    return {
        "compared_ids": len(set(reference) & set(other)),
        "mismatches": len(mismatches),
        "mismatched_ids": len({m["id"] for m in mismatches}),
        "examples": mismatches[:limit],
    }


def parse_throughput() -> dict[str, Any]:
    from harvester.arxiv.feed import parse_feed, parse_feed_tolerant

    data = PAGE_FILE.read_bytes()
    entries = len(parse_feed(data).papers)

    def rounds(parse: Any) -> list[float]:
        parse(data)  # warm-up
        start = time.perf_counter()
        parse(data)
        once = time.perf_counter() - start
        per_round = max(1, math.ceil(PARSE_ROUND_SECONDS / max(once, 1e-6)))
        rates = []
        for _ in range(PARSE_ROUNDS):
            start = time.perf_counter()
            for _ in range(per_round):
                parse(data)
            rates.append(per_round * entries / (time.perf_counter() - start))
        return rates

    result: dict[str, Any] = {"page": str(PAGE_FILE.relative_to(ROOT)), "page_bytes": len(data), "entries": entries}
    rates = rounds(parse_feed)
    result["harvester"] = {"rounds": PARSE_ROUNDS, "entries_per_s_median": statistics.median(rates), "all": rates}
    assert parse_feed_tolerant(data) == parse_feed(data), "the two readers disagree on the page"
    rates = rounds(parse_feed_tolerant)
    result["harvester_tolerant"] = {
        "rounds": PARSE_ROUNDS,
        "entries_per_s_median": statistics.median(rates),
        "all": rates,
    }
    result["speedup_over_tolerant"] = (
        result["harvester"]["entries_per_s_median"] / result["harvester_tolerant"]["entries_per_s_median"]
    )
    try:  # arxiv.py's own parser, a private module of the package, on the same bytes
        from arxiv import _feed

        other = len(_feed.parse(data).results)
        rates = rounds(_feed.parse)
        result["arxivpy"] = {
            "entries": other,
            "rounds": PARSE_ROUNDS,
            "entries_per_s_median": statistics.median(rates),
            "all": rates,
        }
    except Exception as error:  # the private module may change between versions
        result["arxivpy"] = {"error": f"{type(error).__name__}: {error}"}
    return result


def missing_case(runner: Runner, workdir: Path) -> dict[str, Any]:
    """1,600 IDs, 8 of them absent from the stand-in: the requests, and the floor they cost at 3 s."""
    ids = _id_set(MISSING_IDS)
    step = len(ids) // MISSING_ABSENT
    absent = [ids[i * step + step // 2] for i in range(MISSING_ABSENT)]  # spread over the batches
    ids_file = workdir / "ids_missing.json"
    ids_file.write_text(json.dumps(ids))
    spec = {"tool": "harvester_full", "ids_file": str(ids_file), "mode": "time"}
    result: dict[str, Any] = {"ids": len(ids), "absent": absent, "spacing_s": ARXIV_SPACING}
    for name, missing in (("nothing_missing", []), ("eight_missing", absent)):
        runner.standin.absent = set(missing)
        run = runner.run(spec)
        log = runner.standin.requests
        requests = run.get("standin_requests") or 0
        result[name] = {
            "error": run.get("error"),
            "requests": requests,
            "client_requests": run.get("client_requests"),
            "ids_per_request": [len(r.ids) for r in log],
            "missing_recorded": run.get("missing"),
            "papers": run.get("papers"),
            "floor_s": ARXIV_SPACING * max(0, requests - 1),
            "wall_s_at_delay_0": run.get("wall_s"),
        }
    runner.standin.absent = set()
    base, worse = result["nothing_missing"], result["eight_missing"]
    result["floor_ratio"] = worse["floor_s"] / base["floor_s"] if base["floor_s"] else None
    # Before missing IDs were asked again together, each one cost a request of its own.
    one_by_one = base["requests"] + MISSING_ABSENT
    result["one_by_one"] = {
        "requests": one_by_one,
        "floor_s": ARXIV_SPACING * (one_by_one - 1),
        "floor_ratio": (ARXIV_SPACING * (one_by_one - 1)) / base["floor_s"] if base["floor_s"] else None,
    }
    return result


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    versions = {}
    for package in ("harvester", "arxiv", "httpx", "feedparser", "lxml", "requests", "sqlite-utils"):
        try:
            versions[package] = version(package)
        except Exception:
            versions[package] = None
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "nproc": affinity or os.cpu_count(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "packages": versions,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per case below 10,000 IDs (median kept)")
    parser.add_argument("--large-repeats", type=int, default=1, help="timed runs per case at 10,000 IDs")
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the traced (slow) memory runs")
    parser.add_argument(
        "--trace-large", action="store_true", help="also trace the 10,000-ID runs (about 5 minutes more)"
    )
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="comma-separated; 19 means the seed IDs")
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(_worker(json.loads(args.worker))))
        return 0

    from standins.arxiv import ArxivStandIn

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    began = time.perf_counter()
    report: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join([RERUN, *(argv if argv is not None else sys.argv[1:])]),
        "default_command": RERUN,
        "machine": machine(),
        "settings": {
            "harvester": {
                "delay_s": 0,
                "batch_size": BATCH_SIZE,
                "max_attempts": 6,
                "transport": "httpx, POST, 1 connection",
            },
            "arxivpy": {
                "page_size": ARXIVPY_PAGE_SIZE,
                "delay_seconds": 0,
                "num_retries": ARXIVPY_RETRIES,
                "chunks_tried": list(ARXIVPY_CHUNKS),
                "transport": "requests, GET",
            },
            "standin": {
                "synthetic": True,
                "dialect": "current",
                "host": "127.0.0.1",
                "process": "the benchmark's parent process",
            },
            "repeats": args.repeats,
            "large_repeats": args.large_repeats,
            "tracemalloc": not args.no_tracemalloc,
            "tracemalloc_at_10000": args.trace_large and not args.no_tracemalloc,
        },
        "sizes": {},
    }

    print(f"parse_feed throughput on {PAGE_FILE.name} ...", flush=True)
    report["parse"] = parse_throughput()

    with tempfile.TemporaryDirectory(prefix="bench-arxiv-") as tmp, ArxivStandIn(synthetic=True) as standin:
        workdir = Path(tmp)
        runner = Runner(standin, workdir)
        memory_jobs: list[tuple[int, str, dict[str, Any]]] = []
        for size in sizes:
            ids = _id_set(size)
            ids_file = workdir / f"ids{size}.json"
            ids_file.write_text(json.dumps(ids))
            repeats = args.large_repeats if size >= 10000 else args.repeats
            entry: dict[str, Any] = {
                "ids": len(ids),
                "first_id": ids[0],
                "last_id": ids[-1],
                "expected_harvester_requests": math.ceil(len(ids) / BATCH_SIZE),
                "cases": {},
            }
            report["sizes"][str(size)] = entry
            digests: dict[str, Path] = {}

            cases: list[tuple[str, dict[str, Any]]] = [
                ("harvester_full", {"tool": "harvester_full"}),
                ("harvester_client", {"tool": "harvester_client"}),
                ("arxivpy", {"tool": "arxivpy", "chunk": None}),
            ]
            cases += [(f"arxivpy_chunks_{c}", {"tool": "arxivpy", "chunk": c}) for c in ARXIVPY_CHUNKS if c < len(ids)]
            for name, spec in cases:
                print(f"[{time.perf_counter() - began:6.1f} s] {size} IDs: {name} ...", flush=True)
                spec = {**spec, "ids_file": str(ids_file)}
                if name == "harvester_full":
                    digests[name] = workdir / f"digest_{size}_{name}.json"
                    spec["digest_file"] = str(digests[name])
                timed = _time_runs(runner, spec, repeats)
                entry["cases"][name] = timed
                if spec["tool"] == "arxivpy" and not timed["error"]:
                    digests[name] = workdir / f"digest_{size}_{name}.json"
                    runner.run({**spec, "mode": "digest", "digest_file": str(digests[name])})
                if not args.no_tracemalloc and not timed["error"] and (size < 10000 or args.trace_large):
                    memory_jobs.append((size, name, {**spec, "mode": "mem", "digest_file": None}))

            reference = digests.get("harvester_full")
            if reference and reference.exists():
                ref = json.loads(reference.read_text())
                for name, path in digests.items():
                    if name != "harvester_full" and path.exists():
                        entry["cases"][name]["agreement"] = _agreement(ref, json.loads(path.read_text()))

        # Traced runs: wall time does not matter here, so two run at once (2 cores).
        if memory_jobs:
            memory_jobs.sort(key=lambda job: -job[0])  # longest first
            print(
                f"[{time.perf_counter() - began:6.1f} s] {len(memory_jobs)} tracemalloc runs, two at a time ...",
                flush=True,
            )
            with ThreadPoolExecutor(max_workers=2) as pool:
                futures = [(size, name, pool.submit(runner.run, spec, False)) for size, name, spec in memory_jobs]
                for size, name, future in futures:
                    result = future.result()
                    report["sizes"][str(size)]["cases"][name]["traced"] = {
                        key: result.get(key)
                        for key in (
                            "error",
                            "tracemalloc_peak_bytes",
                            "tracemalloc_end_bytes",
                            "traced_samples_bytes",
                            "wall_s",
                        )
                    }

        print(f"[{time.perf_counter() - began:6.1f} s] missing-ID case ...", flush=True)
        report["missing_case"] = missing_case(runner, workdir)

    report["total_s"] = round(time.perf_counter() - began, 1)
    (HERE / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    (HERE / "results.md").write_text(render_markdown(report))
    print(f"done in {report['total_s']} s; wrote {HERE / 'results.md'} and results.json", flush=True)
    return 0


# --------------------------------------------------------------------------- report


def _mib(kib_or_bytes: float | None, unit: str = "kib") -> str:
    if kib_or_bytes is None:
        return "-"
    value = kib_or_bytes / 1024 if unit == "kib" else kib_or_bytes / 1024 / 1024
    return f"{value:.1f}"


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _samples_span(samples: list[Any], unit: str) -> str:
    values = [v for v in samples if v is not None]
    if not values:
        return "-"
    return f"{_mib(values[0], unit)} / {_mib(max(values), unit)} / {_mib(values[-1], unit)}"


def render_markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    s = report["settings"]
    lines = [
        "# arXiv fetching benchmark",
        "",
        f"Measured {report['date']} on {m['platform']}, {m['nproc']} CPUs, "
        f"{m['implementation']} {m['python']} (arxiv.py {m['packages'].get('arxiv')}, httpx {m['packages'].get('httpx')}, "
        f"feedparser {m['packages'].get('feedparser')}, lxml {m['packages'].get('lxml')}). Whole run: {report['total_s']} s.",
        "",
        "Produced by this command, run from the repository root (a rerun rewrites this file and `results.json`):",
        "",
        f"    {report['command']}",
        "",
        f"Without `--trace-large` (`{report['default_command']}`) the traced runs stop at 1,000 IDs and the run "
        "takes about 2.5 minutes instead of 6; everything else is the same.",
        "",
        "The machine was shared with other jobs while this ran (2 cores for several concurrent sessions): "
        "absolute times are noisy; the ratios (harvester against arxiv.py, one reader against the other, "
        "requests and floors) are what count.",
        "",
        "Server: `tests/standins/arxiv.py` on 127.0.0.1 in synthetic mode, inside the benchmark's own process; "
        "each fetch runs in a fresh child process, so its peak RSS is its own. "
        f"harvester: delay 0, batch size {s['harvester']['batch_size']}, POST. "
        f"arxiv.py: `Client(page_size={s['arxivpy']['page_size']}, delay_seconds=0, num_retries={s['arxivpy']['num_retries']})` "
        "(2000 is the largest page arXiv documents; 5 retries match harvester's 6 attempts), "
        "`query_url_format` set to the stand-in, `Search(id_list=ids, max_results=len(ids))`, GET. "
        f"Wall times are medians of {s['repeats']} runs ({s['large_repeats']} at 10,000 IDs), without tracemalloc. "
        "19 IDs are the seed list's; 1,000 and 10,000 are 2001.00001 upwards.",
        "",
        "## harvester: requests, time, memory",
        "",
        "| IDs | path | batches | requests (stand-in / client) | expected ceil(n/500) | wall s | IDs/s | RSS before fetch MiB | peak RSS MiB | RSS after each batch MiB (first / max / last) | tracemalloc peak MiB | traced after each batch MiB (first / max / last) |",
        "|---:|---|---:|---|---:|---:|---:|---:|---:|---|---:|---|",
    ]
    labels = {
        "harvester_full": "client + SQLite (`harvest`)",
        "harvester_client": "client alone (`fetch_many`, batches discarded)",
    }
    for _size, entry in report["sizes"].items():
        for name in ("harvester_full", "harvester_client"):
            case = entry["cases"].get(name)
            if not case:
                continue
            run = case["runs"][0]
            traced = case.get("traced") or {}
            wall = case["wall_s_median"]
            rate = f"{entry['ids'] / wall:,.0f}" if wall else "-"
            lines.append(
                f"| {entry['ids']:,} | {labels[name]} | {case.get('batches', '-')} | "
                f"{case.get('standin_requests')} / {case.get('client_requests')} | {entry['expected_harvester_requests']} | "
                f"{_s(wall)} | {rate} | {_mib(run.get('rss_before_kib'))} | {_mib(case['rss_peak_kib_median'])} | {_samples_span(run.get('rss_samples_kib') or [], 'kib')} | "
                f"{_mib(traced.get('tracemalloc_peak_bytes'), 'b')} | {_samples_span(traced.get('traced_samples_bytes') or [], 'b')} |"
            )
            if case.get("error"):
                lines.append(f"| | error: {case['error']} | | | | | | | | | | |")

    series = []
    for _size, entry in report["sizes"].items():
        if entry["ids"] < 1000:
            continue
        for name in ("harvester_full", "harvester_client"):
            case = entry["cases"].get(name)
            if not case:
                continue
            rss = [v for v in case["runs"][0].get("rss_samples_kib") or [] if v is not None]
            traced = (case.get("traced") or {}).get("traced_samples_bytes") or []
            if rss:
                series.append(f"- {entry['ids']:,} IDs, {labels[name]}, RSS MiB: " + " ".join(_mib(v) for v in rss))
            if traced:
                series.append(
                    f"- {entry['ids']:,} IDs, {labels[name]}, traced MiB: " + " ".join(_mib(v, "b") for v in traced)
                )
    if series:
        lines += ["", "Memory after each batch (one value per batch of 500 IDs, in order):", "", *series]

    p = report["parse"]
    lines += [
        "",
        "## Feed parsing",
        "",
        f"`parse_feed` on `{p['page']}` ({p['entries']} entries, {p['page_bytes']:,} bytes), "
        f"median of {p['harvester']['rounds']} rounds of about {PARSE_ROUND_SECONDS} s each:",
        "",
        "| parser | entries/s (median) | min - max |",
        "|---|---:|---|",
        f"| harvester `parse_feed` (the plain one-pass ElementTree reader every API response takes) | {p['harvester']['entries_per_s_median']:,.0f} | "
        f"{min(p['harvester']['all']):,.0f} - {max(p['harvester']['all']):,.0f} |",
    ]
    tolerant = p.get("harvester_tolerant") or {}
    if tolerant:
        lines.append(
            f"| harvester `parse_feed_tolerant` (feedparser + ElementTree, two passes: how every response was read before) | "
            f"{tolerant['entries_per_s_median']:,.0f} | {min(tolerant['all']):,.0f} - {max(tolerant['all']):,.0f} |"
        )
    other = p.get("arxivpy") or {}
    if "entries_per_s_median" in other:
        lines.append(
            f"| arxiv.py `arxiv._feed.parse` (lxml, private module), same bytes | {other['entries_per_s_median']:,.0f} | "
            f"{min(other['all']):,.0f} - {max(other['all']):,.0f} |"
        )
    elif other.get("error"):
        lines.append(f"| arxiv.py `arxiv._feed.parse` | - | {other['error']} |")

    lines += [
        "",
        "## Side by side with arxiv.py",
        "",
        "| IDs | tool | requests (stand-in / client) | largest URL chars | wall s | papers | peak RSS MiB | tracemalloc peak MiB | outcome | agreement with harvester's stored papers |",
        "|---:|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for _size, entry in report["sizes"].items():
        for name, case in entry["cases"].items():
            if name == "harvester_client":
                continue
            run = case["runs"][0]
            traced = case.get("traced") or {}
            if name == "harvester_full":
                tool = "harvester (client + SQLite)"
            elif name == "arxivpy":
                tool = "arxiv.py, whole id_list in one Search"
            else:
                tool = f"arxiv.py, id_list split in chunks of {name.rsplit('_', 1)[1]} (one Search each)"
            outcome = "ok" if not case.get("error") else f"failed: {case['error'][:160]}"
            if name.startswith("arxivpy") and run.get("client_statuses"):
                outcome += f" (HTTP {', '.join(map(str, run['client_statuses']))})"
            agreement = case.get("agreement")
            if agreement:
                agree = f"{agreement['compared_ids']:,} IDs compared, {agreement['mismatches']} mismatches"
                if agreement["examples"]:
                    agree += "; e.g. " + "; ".join(
                        f"{e['id']} {e['field']}: {json.dumps(e['harvester'])[:80]} vs {json.dumps(e['arxiv.py'])[:80]}"
                        for e in agreement["examples"]
                    )
            else:
                agree = "(reference)" if name == "harvester_full" else "-"
            lines.append(
                f"| {entry['ids']:,} | {tool} | {case.get('standin_requests')} / {case.get('client_requests')} | "
                f"{run.get('url_chars', '-')} | {_s(case['wall_s_median'])} | {case.get('papers', '-')} | "
                f"{_mib(case['rss_peak_kib_median'])} | {_mib(traced.get('tracemalloc_peak_bytes'), 'b')} | {outcome} | {agree} |"
            )

    missing = report.get("missing_case")
    if missing:
        lines += [
            "",
            "## Missing IDs",
            "",
            f"{missing['ids']:,} IDs (2001.00001 upwards) at delay 0, of which {len(missing['absent'])} are not on the "
            f"stand-in ({', '.join(missing['absent'])}). The floor is what the requests cost at arXiv's "
            f"{missing['spacing_s']:.0f} s spacing: {missing['spacing_s']:.0f} s x (requests - 1).",
            "",
            "| case | requests (stand-in / client) | IDs per request | recorded missing | floor at 3 s | floor ratio |",
            "|---|---|---|---:|---:|---:|",
        ]
        for name, label in (("nothing_missing", "nothing missing"), ("eight_missing", "8 missing")):
            case = missing[name]
            ratio = 1.0 if name == "nothing_missing" else missing["floor_ratio"]
            lines.append(
                f"| {label} | {case['requests']} / {case['client_requests']} | {', '.join(map(str, case['ids_per_request']))} | "
                f"{case['missing_recorded']} | {case['floor_s']:.0f} s | {_ratio(ratio)} |"
            )
        old = missing["one_by_one"]
        lines.append(
            f"| 8 missing, each asked again alone (before) | {old['requests']} (computed) | | 8 | {old['floor_s']:.0f} s | {_ratio(old['floor_ratio'])} |"
        )

    lines += ["", "## Conclusions", ""]
    lines += [f"- {c}" for c in conclusions(report)]
    lines += [
        "",
        "## Known limits",
        "",
        "- Loopback only: no network latency, so wall time is client CPU (parsing, SQLite) plus the stand-in's rendering "
        "(`standin_busy_s` in results.json). Against arXiv itself, harvester's default 3 s delay between requests dominates: "
        "ceil(n/500) requests take at least 3 s x (requests - 1).",
        "- The stand-in is Python's `http.server`, which refuses request lines over 64 KiB with HTTP 414 before the "
        "request reaches the stand-in's handler, so such requests appear in the client's count but not in the stand-in's log. "
        "arXiv's own limit on URL length is not known here.",
        "- arxiv.py's requests are counted with a response hook on its private `_session`; its parser is timed through the "
        "private `arxiv._feed` module.",
        "- tracemalloc counts Python allocations only; SQLite's page cache and other C allocations show only in RSS. "
        "Traced runs are separate from the timed runs and two of them run at once.",
        "- Synthetic papers have 1-4 authors, one category and one version; the seed papers are the realistic ones.",
        "",
    ]
    return "\n".join(lines)


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _rising(values: list[float]) -> bool:
    """Whether the last third's mean is over 10% above the first third's."""
    third = max(1, len(values) // 3)
    return statistics.mean(values[-third:]) > 1.1 * statistics.mean(values[:third])


def _busy(report: dict[str, Any]) -> str:
    for entry in reversed(list(report["sizes"].values())):
        run = ((entry["cases"].get("harvester_full") or {}).get("runs") or [{}])[0]
        if run.get("standin_busy_s") is not None:
            return f"{run['standin_busy_s']:.2f} s in all for the {run['standin_requests']} requests of {entry['ids']:,} IDs"
    return "briefly"


def conclusions(report: dict[str, Any]) -> list[str]:
    out: list[str] = []
    sizes = report["sizes"]
    # Requests.
    parts, exact = [], True
    for entry in sizes.values():
        case = entry["cases"].get("harvester_full") or {}
        expected = entry["expected_harvester_requests"]
        counts = {case.get("standin_requests"), case.get("client_requests")}
        client = entry["cases"].get("harvester_client") or {}
        counts |= {client.get("standin_requests"), client.get("client_requests")}
        exact &= counts == {expected}
        parts.append(f"{entry['ids']:,} IDs: {case.get('standin_requests')} (expected {expected})")
    out.append(
        "harvester requests per run: "
        + "; ".join(parts)
        + ". "
        + (
            "Every run made exactly ceil(n/500) requests on both paths, so no retries and no re-asks happened."
            if exact
            else "Some run differed from ceil(n/500): see the table (retries or re-asks of missing IDs)."
        )
    )
    # Memory.
    small, large = sizes.get("1000"), sizes.get("10000")
    if small and large:
        for name, label in (("harvester_full", "client + SQLite"), ("harvester_client", "client alone")):
            a, b = small["cases"].get(name), large["cases"].get(name)
            if not a or not b:
                continue
            text = (
                f"Memory, {label}: peak RSS {_mib(a['rss_peak_kib_median'])} MiB for 1,000 IDs ({a.get('batches')} batches) "
                f"vs {_mib(b['rss_peak_kib_median'])} MiB for 10,000 ({b.get('batches')} batches)"
            )
            ta, tb = (
                (a.get("traced") or {}).get("tracemalloc_peak_bytes"),
                (b.get("traced") or {}).get("tracemalloc_peak_bytes"),
            )
            if ta and tb:
                text += f"; tracemalloc peak {_mib(ta, 'b')} vs {_mib(tb, 'b')} MiB (ratio {tb / ta:.2f} for 10x the batches)"
            traced_series = (b.get("traced") or {}).get("traced_samples_bytes") or []
            if len(traced_series) > 1:
                text += (
                    f"; traced memory after each of the {len(traced_series)} batches stays between "
                    f"{_mib(min(traced_series), 'b')} and {_mib(max(traced_series), 'b')} MiB, "
                    + (
                        "rising from the first third of the batches to the last"
                        if _rising(traced_series)
                        else "with no upward trend"
                    )
                    + ""
                    f" (last {_mib(traced_series[-1], 'b')})"
                )
            samples = [v for v in (b["runs"][0].get("rss_samples_kib") or []) if v is not None]
            if len(samples) > 1:
                text += f"; RSS after batch 1 {_mib(samples[0])} MiB, after the last {_mib(samples[-1])} MiB"
            out.append(text + ".")
    # Ratios vs arxiv.py.
    for _size, entry in sizes.items():
        mine = entry["cases"].get("harvester_full") or {}
        mine_client = entry["cases"].get("harvester_client") or {}
        for name, case in entry["cases"].items():
            if not name.startswith("arxivpy"):
                continue
            label = "arxiv.py" if name == "arxivpy" else f"arxiv.py in chunks of {name.rsplit('_', 1)[1]}"
            if case.get("error"):
                out.append(
                    f"{entry['ids']:,} IDs, {label}: failed ({case['error'][:120]}) after "
                    f"{case.get('client_requests')} requests; its URL was {case['runs'][0].get('url_chars')} characters long."
                )
                continue
            req_ratio = (
                (mine.get("standin_requests") or 0) / case["standin_requests"] if case.get("standin_requests") else None
            )
            t_full = (
                mine.get("wall_s_median") / case["wall_s_median"]
                if mine.get("wall_s_median") and case.get("wall_s_median")
                else None
            )
            t_client = (
                mine_client.get("wall_s_median") / case["wall_s_median"]
                if mine_client.get("wall_s_median") and case.get("wall_s_median")
                else None
            )
            agree = case.get("agreement") or {}
            out.append(
                f"{entry['ids']:,} IDs, harvester vs {label}: requests {mine.get('standin_requests')} vs {case.get('standin_requests')}"
                + (f" (ratio {req_ratio:.2f})" if req_ratio is not None else "")
                + f"; wall time {_s(mine.get('wall_s_median'))} s with SQLite / {_s(mine_client.get('wall_s_median'))} s client alone vs {_s(case.get('wall_s_median'))} s"
                + (f" (ratios {t_full:.1f}x and {t_client:.1f}x)" if t_full and t_client else "")
                + (
                    f"; {agree.get('mismatches')} title/author/category mismatches over {agree.get('compared_ids'):,} IDs"
                    if agree
                    else ""
                )
                + "."
            )
    parse = report["parse"]
    if "speedup_over_tolerant" in parse:
        out.append(
            f"Parsing the recorded page: the plain reader reads {parse['harvester']['entries_per_s_median']:,.0f} entries/s, "
            f"{parse['speedup_over_tolerant']:.1f}x the feedparser-backed reader ({parse['harvester_tolerant']['entries_per_s_median']:,.0f}), "
            "with identical output (checked here on the page, and in tests/test_feed_readers.py on every recorded response). "
            "About half of what remains is serializing each entry for `raw_entries`."
        )
    if "entries_per_s_median" in (parse.get("arxivpy") or {}):
        out.append(
            f"arxiv.py's lxml parser reads {parse['arxivpy']['entries_per_s_median']:,.0f} entries/s "
            f"({parse['arxivpy']['entries_per_s_median'] / parse['harvester']['entries_per_s_median']:.1f}x harvester's). "
            f"Requests cost little on loopback (the stand-in was busy {_busy(report)}), so the wall-time gap to arxiv.py is "
            "harvester's own CPU: the entry kept as XML for `raw_entries`, the checks that refuse damaged entries, and the "
            "SQLite writes on the full path. Against arXiv itself the 3 s spacing between requests outweighs either."
        )
    missing = report.get("missing_case")
    if missing:
        worse, old = missing["eight_missing"], missing["one_by_one"]
        out.append(
            f"Missing IDs: {len(missing['absent'])} absent among {missing['ids']:,} cost {worse['requests']} requests "
            f"({missing['nothing_missing']['requests']} with nothing missing), so a floor of {worse['floor_s']:.0f} s at 3 s "
            f"({_ratio(missing['floor_ratio'])} the batched floor); asked again one by one they cost {old['requests']} "
            f"requests and {old['floor_s']:.0f} s ({_ratio(old['floor_ratio'])})."
        )
    return out


if __name__ == "__main__":
    sys.exit(main())
