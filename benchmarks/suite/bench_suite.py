"""Benchmark the test suite itself: wall time and CPU of `pytest -n W` for several worker counts.

The suite's tests wait a good part of their time (on stand-ins' spacing, child
processes, servers starting), so more workers than cores can finish sooner; this
measures by how much, which is what `-n auto` (tests/conftest.py) is set from.
Each run is the whole suite, as `make test` runs it after `make check` (compiled
modules cached, whatever PYTHONDONTWRITEBYTECODE says).

    .venv/bin/python benchmarks/suite/bench_suite.py [--workers 2,3,4,auto] [--repeats 1]

Writes results.md and results.json beside this file. Run it on a quiet machine:
the figures are the machine's, other jobs on it change them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RERUN = ".venv/bin/python benchmarks/suite/bench_suite.py"


def run_suite(workers: str) -> dict[str, Any]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", workers, "--dist", "worksteal", "-q", "-p", "no:cacheprovider"],
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": ""},  # as `make test` runs it (see the Makefile)
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    passed = re.search(r"(\d+) passed", last)
    return {
        "workers": workers,
        "wall_s": wall,
        "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "exit": done.returncode,
        "passed": int(passed.group(1)) if passed else 0,
        "summary": last,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="2,3,4,auto")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    results: dict[str, Any] = {
        "run_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (Python {platform.python_version()})",
        "load_average": os.getloadavg(),
        "runs": [],
    }
    for _ in range(args.repeats):
        for workers in args.workers.split(","):
            run = run_suite(workers)
            print(f"-n {workers}: {run['wall_s']:.1f} s wall, {run['cpu_s']:.1f} s CPU; {run['summary']}", flush=True)
            results["runs"].append(run)
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (HERE / "results.md").write_text(render(results), encoding="utf-8")


def render(results: dict[str, Any]) -> str:
    by_workers: dict[str, list[dict[str, Any]]] = {}
    for run in results["runs"]:
        by_workers.setdefault(run["workers"], []).append(run)
    lines = [
        "# The test suite: wall time and CPU by worker count",
        "",
        f"Run {results['run_at']} on {results['machine']}, `{RERUN}` (load average "
        f"{results['load_average'][0]:.2f} when it began). `auto` is what `make test` runs: "
        "half as many workers again as cores (tests/conftest.py).",
        "",
        "| `-n` | runs | wall s (median) | wall s (each) | CPU s (median) | passed | exit |",
        "|---|---|---|---|---|---|---|",
    ]
    for workers, runs in by_workers.items():
        walls = [r["wall_s"] for r in runs]
        lines.append(
            f"| {workers} | {len(runs)} | {statistics.median(walls):.1f} | {', '.join(f'{w:.1f}' for w in walls)} | "
            f"{statistics.median(r['cpu_s'] for r in runs):.1f} | {runs[-1]['passed']} | "
            f"{', '.join(str(r['exit']) for r in runs)} |"
        )
    lines += [
        "",
        "Wall time includes pytest's start and each worker's collection; CPU is every process the run "
        "started (workers, stand-ins' threads, the child processes of CLI tests).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
