"""Benchmark what every `harvester` command pays before it does anything: the process start.

Cron runs a command a night, CI a few per push, the pre-commit hook one per commit;
each first starts Python and imports harvester. For each command below this script
starts `python -m harvester ...` a number of times on a small database (the seed list
with its fixture metadata, built without network by tests/seeddb.py) and records
the median wall time and the modules the process imported. With `--against REV` it
does the same for another commit (checked out in a temporary git worktree and put
first on PYTHONPATH, so both run with this venv's packages), side by side.

    .venv/bin/python benchmarks/startup/bench_startup.py [--repeats 15] [--against REV]

Writes results.md and results.json beside this file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

RERUN = ".venv/bin/python benchmarks/startup/bench_startup.py"
COMMANDS: list[list[str]] = [
    ["--help"],
    ["status"],
    ["report", "--format", "json"],
    ["query", "SELECT count(*) FROM papers"],
    ["search", "pruning"],
    ["export", "--format", "csv"],
]
# What a start must not need unless the command does: the network, the parser, the reconciler.
HEAVY = ("httpx", "feedparser", "markdown_it", "asyncio", "harvester.reconcile", "harvester.refresh")
# `python -m harvester ARGS` with the package taken from the folder given first (this checkout or
# the one --against made), not from the venv's editable install; with COUNT, the modules it ends with.
START = """
import atexit, json, os, runpy, sys
root = sys.argv[1]
sys.meta_path[:] = [finder for finder in sys.meta_path if "editable" not in type(finder).__module__]
sys.path.insert(0, root)
if os.environ.get("BENCH_COUNT_MODULES"):
    atexit.register(lambda: print("\\nMODULES", json.dumps(sorted(sys.modules)), file=sys.stderr))
sys.argv = ["harvester", *sys.argv[2:]]
runpy.run_module("harvester", run_name="__main__", alter_sys=True)
"""


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("HARVESTER_") and k != "COLUMNS"}


def time_command(args: list[str], db: Path, code_root: Path, repeats: int) -> dict[str, Any]:
    command = [sys.executable, "-c", START, str(code_root), "--db", str(db), *args]
    env = _env()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 3):
            raise SystemExit(f"{' '.join(args)} exited {done.returncode}: {done.stderr.decode()[-400:]}")
    counted = subprocess.run(
        command,
        env={**env, "BENCH_COUNT_MODULES": "1"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    modules = json.loads(counted.stderr.rsplit("MODULES ", 1)[1])
    return {
        "command": " ".join(args),
        "median_s": statistics.median(times),
        "min_s": min(times),
        "modules": len(modules),
        "heavy_loaded": [name for name in HEAVY if name in modules],
    }


def python_alone(repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(db: Path, code_root: Path, repeats: int) -> list[dict[str, Any]]:
    return [time_command(args, db, code_root, repeats) for args in COMMANDS]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--against", help="also measure this commit (a git revision)")
    args = parser.parse_args(argv)
    from tests.seeddb import build_seed_db

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        db = build_seed_db(work / "seed.db")
        results: dict[str, Any] = {
            "run_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores (Python {platform.python_version()})",
            "repeats": args.repeats,
            "python_alone_s": python_alone(args.repeats),
            "load_average": os.getloadavg(),
            "current": measure(db, ROOT, args.repeats),
        }
        if args.against:
            checkout = work / "against"
            subprocess.run(["git", "worktree", "add", "--detach", str(checkout), args.against], cwd=ROOT, check=True)
            try:
                results["against"] = {"rev": args.against, "rows": measure(db, checkout, args.repeats)}
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(checkout)], cwd=ROOT, check=True)
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (HERE / "results.md").write_text(render(results), encoding="utf-8")
    print(render(results))


def render(results: dict[str, Any]) -> str:
    against = results.get("against")
    lines = [
        "# Start-up: what every command pays before its work",
        "",
        f"Run {results['run_at']} on {results['machine']}, `{RERUN}"
        + (f" --against {against['rev']}`" if against else "`")
        + f"; median of {results['repeats']} starts each, on the seed list's database. "
        f"Python alone starts in {results['python_alone_s']:.3f} s here "
        f"(load average {results['load_average'][0]:.2f} when the run began).",
        "",
    ]
    header = "| command | seconds | modules | of the heavy ones, loaded |"
    rule = "|---|---|---|---|"
    if against:
        header = f"| command | seconds | seconds at `{against['rev']}` | modules | at `{against['rev']}` | of the heavy ones, loaded |"
        rule = "|---|---|---|---|---|---|"
    lines += [header, rule]
    before = {row["command"]: row for row in against["rows"]} if against else {}
    for row in results["current"]:
        heavy = ", ".join(f"`{name}`" for name in row["heavy_loaded"]) or "none"
        if against:
            old = before[row["command"]]
            lines.append(
                f"| `harvester {row['command']}` | {row['median_s']:.3f} | {old['median_s']:.3f} | "
                f"{row['modules']} | {old['modules']} | {heavy} |"
            )
        else:
            lines.append(f"| `harvester {row['command']}` | {row['median_s']:.3f} | {row['modules']} | {heavy} |")
    lines += [
        "",
        f"Heavy modules looked for: {', '.join(f'`{name}`' for name in HEAVY)}. "
        "tests/test_startup.py holds `import harvester.cli` to none of them.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
