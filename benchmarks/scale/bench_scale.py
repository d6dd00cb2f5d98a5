"""Benchmark harvester at blog scale: 1,000, 10,000 and 100,000 listed papers.

For each size N (N / 1,000 generated lists of 1,000 entries each, written in
the four shapes of tests/fixtures/reading-lists: an awesome-list bullet, an
awesome-list table row, a numbered entry with a dated line and a mirror link,
a numbered entry with a code link), this script:

1. builds a fresh database with the real CLI in child processes: `import`,
   `import` again (unchanged), `fetch` from the arXiv stand-in
   (tests/standins/arxiv.py, synthetic papers, delay 0, started here on
   loopback) and `reconcile`; each child reports its own peak RSS (VmHWM)
   as it exits, so the peak belongs to that one command;
2. measures the file: bytes per paper after a checkpoint, and what the
   raw_entries table takes of it (sqlite's dbstat);
3. times every reading command in this process (the CLI through typer's
   runner, so the interpreter's start-up is left out and reported once
   beside): `status`, `search` of a word every paper has, `report` in each
   format, `query` of every row of each view, `export` in each format;
4. times Datasette's pages (in process, `datasette.app.Datasette` with
   the dashboard plugin's metadata and its default 1 s SQL time limit) of every view and
   the main tables.

Planted slips give reconcile something to find: 1 entry in 20 has a title
slip, 1 in 50 a date no version has, and 1 in 10 of the numbered shapes links a
retired mirror (cn.arxiv.org), so `report` has about a tenth as many findings
as there are papers.

    .venv/bin/python benchmarks/scale/bench_scale.py [--sizes 1000,10000,100000] [--repeats 3]

Writes results.md and results.json beside this file (a run with --sizes
other than the default writes them under --out instead, unless told).
Loopback only; the 100k size takes several minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from tests.standins.arxiv import ArxivStandIn

RERUN = ".venv/bin/python benchmarks/scale/bench_scale.py"
DEFAULT_SIZES = (1000, 10000, 100000)
ENTRIES_PER_LIST = 1000
ENTRIES_PER_SECTION = 100
SECTION_TOPICS = ("Pruning", "Quantization", "Distillation", "Low-Rank Factorization", "Sparsity")
SEARCH_WORD = "synthetic"  # in every paper's title: the most hits a word can have
GOAL_READ_S = 1.0
GOAL_BYTES_PER_PAPER = 1300
CHILD_LIMIT_S = 3600
VIEWS = ("reading_list", "open_findings", "link_problems", "recent_changes")
TABLES = ("lists", "entries", "entry_links", "papers", "paper_versions", "findings", "raw_entries")


# --------------------------------------------------------------------------- the corpus


def paper_id(n: int) -> str:
    """The n-th listed paper's arXiv ID: 108 months (2015-2023), numbers counting up within each."""
    month_index, number = n % 108, n // 108 + 1
    return f"{15 + month_index // 12:02d}{1 + month_index % 12:02d}.{number:05d}"


def _noted_title(n: int, title: str) -> str:
    if n % 20 == 7:  # a slip: one letter dropped from the last word before the ID
        words = title.split(" ")
        words[-2] = words[-2][:-1]
        return " ".join(words)
    return title


def _noted_date(n: int, submitted: datetime) -> str:
    if n % 50 == 11:  # a date no version has
        return f"{submitted.year - 1}-{submitted.month:02d}-{submitted.day:02d}"
    return submitted.strftime("%Y-%m-%d")


def _entry(shape: int, n: int) -> str:
    from tests.standins.arxiv import synthetic_paper

    arxiv_id = paper_id(n)
    paper = synthetic_paper(arxiv_id)
    version = paper.versions[-1]
    title = _noted_title(n, version.title)
    date = _noted_date(n, version.submitted)
    if shape == 0:
        return (
            f"- [{title}](https://arxiv.org/abs/{arxiv_id}) by {paper.authors[0][0]}, {date[:4]} - notes on entry {n}."
        )
    if shape == 1:
        return f"| [{title}](https://arxiv.org/abs/{arxiv_id}) | ICML | `W` | - |"
    host = "cn.arxiv.org" if n % 10 == 3 else "arxiv.org"  # a retired mirror, as in 1 entry in 10
    if shape == 2:
        return f"1. [{title}](http://{host}/abs/{arxiv_id})  \n*{date}* [paper](https://arxiv.org/abs/{arxiv_id})  "
    return (
        f"1. :o: [{title}](http://{host}/abs/{arxiv_id})  \n"
        f"*{date}* [Paper](https://arxiv.org/abs/{arxiv_id}) | [Code](https://github.com/example/repo{n})  "
    )


def write_list(folder: Path, index: int) -> Path:
    """One list of 1,000 entries in shape `index % 4`, in sections of 100."""
    shape = index % 4
    lines: list[str] = []
    if shape >= 2:
        lines += [
            "---",
            "layout: article",
            f'title:  "Reading list {index}"',
            "date:   2019-05-10 15:00:40 +0800",
            "---",
        ]
    lines += [f"# Reading list {index}", "", "Papers worth reading, by topic.", ""]
    for start in range(0, ENTRIES_PER_LIST, ENTRIES_PER_SECTION):
        topic = SECTION_TOPICS[(start // ENTRIES_PER_SECTION) % len(SECTION_TOPICS)]
        lines += [f"## {topic} {start // ENTRIES_PER_SECTION + 1}", ""]
        if shape == 1:
            lines += ["| Title | Venue | Type | Code |", "|:---|:---:|:---:|:---:|"]
        for j in range(start, start + ENTRIES_PER_SECTION):
            lines.append(_entry(shape, index * ENTRIES_PER_LIST + j))
            if shape >= 2:
                lines.append("")
        lines.append("")
    path = folder / f"list-{index:03d}.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- child processes


def run_child(args: list[str], db: Path, env: dict[str, str]) -> dict[str, Any]:
    """One harvester command in its own process: wall time, peak RSS, exit code.

    The peak is the child's own VmHWM, read by the child as it exits: getrusage's
    ru_maxrss of a child also counts this (large) process's memory, which the child
    held between fork and exec.
    """
    with tempfile.TemporaryDirectory() as scratch:
        peak_file = Path(scratch) / "peak"
        command = [sys.executable, __file__, "--child", str(peak_file), "--db", str(db), *args]
        started = time.perf_counter()
        process = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, stdin=subprocess.DEVNULL)
        wall = time.perf_counter() - started
        peak_kib = int(peak_file.read_text()) if peak_file.exists() else 0
    stderr_text = process.stderr.decode("utf-8", "replace")
    return {
        "command": " ".join(args),
        "wall_s": round(wall, 3),
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "exit": process.returncode,
        "stdout_tail": process.stdout.decode("utf-8", "replace")[-400:].strip(),
        "stderr_tail": stderr_text[-400:].strip() if process.returncode not in (0, 3) else "",
    }


def child_main(peak_file: str, argv: list[str]) -> None:
    """Run `harvester ARGV` in this process and write its peak RSS (KiB) to `peak_file` at exit."""
    import atexit
    import runpy

    def record_peak() -> None:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    Path(peak_file).write_text(line.split()[1])

    atexit.register(record_peak)
    sys.argv = ["harvester", *argv]
    runpy.run_module("harvester", run_name="__main__", alter_sys=True)


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVESTER_")}
    env["HARVESTER_ENRICH_SOURCES"] = ""
    return env


# --------------------------------------------------------------------------- the file


def file_figures(db: Path, papers: int) -> dict[str, Any]:
    connection = sqlite3.connect(db)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        sizes: dict[str, int] = {}
        with contextlib.suppress(sqlite3.OperationalError):  # dbstat is compiled into most builds
            for name, pages in connection.execute("SELECT name, count(*) FROM dbstat GROUP BY name"):
                sizes[name] = pages * page_size
    finally:
        connection.close()
    total = db.stat().st_size
    raw = sum(size for name, size in sizes.items() if "raw_entries" in name)
    return {
        "file_bytes": total,
        "bytes_per_paper": round(total / papers) if papers else None,
        "raw_entries_bytes": raw,
        "raw_entries_share": round(raw / total, 3) if total else None,
        "largest": sorted(sizes.items(), key=lambda item: -item[1])[:8],
    }


# --------------------------------------------------------------------------- reads


def reading_commands(one_list: Path) -> list[tuple[str, list[str]]]:
    from harvester.formats import ExportFormat, ReportFormat

    commands = [("status", ["status"]), (f"search {SEARCH_WORD}", ["search", SEARCH_WORD])]
    commands += [(f"report --format {f}", ["report", "--format", str(f)]) for f in ReportFormat]
    commands += [
        (f"query (every row of {view}, csv)", ["query", "--format", "csv", f"SELECT * FROM {view}"]) for view in VIEWS
    ]
    commands += [(f"export --format {f}", ["export", "--format", str(f)]) for f in ExportFormat if f != "markdown"]
    # Markdown: the whole corpus as one document from the database (the default, each list in
    # its own layout, writes one document per list: one list, regenerated from its file, is timed).
    commands += [
        ("export --format markdown --style plain", ["export", "--format", "markdown", "--style", "plain"]),
        (
            f"export --format markdown LIST (one list of {ENTRIES_PER_LIST:,}, its own layout)",
            ["export", "--format", "markdown", str(one_list)],
        ),
    ]
    return commands


def time_reads(db: Path, repeats: int, one_list: Path) -> list[dict[str, Any]]:
    from typer.testing import CliRunner

    from harvester.cli import app

    runner = CliRunner()
    results = []
    for label, args in reading_commands(one_list):
        times, exit_code, out_bytes = [], None, 0
        for _ in range(repeats):
            started = time.perf_counter()
            result = runner.invoke(app, ["--db", str(db), *args], env={"HARVESTER_ENRICH_SOURCES": ""})
            times.append(time.perf_counter() - started)
            exit_code, out_bytes = result.exit_code, len(result.stdout_bytes)
        results.append(
            {
                "command": label,
                "median_s": round(statistics.median(times), 3),
                "times_s": [round(t, 3) for t in times],
                "exit": exit_code,
                "stdout_bytes": out_bytes,
                "goal_s": GOAL_READ_S,
                "meets_goal": statistics.median(times) < GOAL_READ_S and exit_code in (0, 3),
            }
        )
    return results


def startup_seconds(env: dict[str, str]) -> float:
    """What every harvester process pays before any work: `harvester --help` in a fresh interpreter."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "harvester", "--help"], cwd=ROOT, env=env, capture_output=True)
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


# As the README runs it: facet suggestions off. Each suggestion is a query over the
# whole view or table (up to 50 ms each, one per column) on every page load.
DATASETTE_SETTINGS = {"suggest_facets": False}


def time_datasette(db: Path, repeats: int, settings: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    from datasette.app import Datasette

    name = db.stem

    async def run() -> list[dict[str, Any]]:
        datasette = Datasette([str(db)], settings=settings)  # metadata: the dashboard plugin's
        await datasette.invoke_startup()
        pages = [f"/{name}/{view}" for view in VIEWS] + [f"/{name}/{table}" for table in TABLES] + [f"/{name}"]
        results = []
        for page in pages:
            times, status, note = [], None, ""
            for _ in range(repeats):
                started = time.perf_counter()
                response = await datasette.client.get(page)
                times.append(time.perf_counter() - started)
                status = response.status_code
                if status != 200:
                    note = " ".join(response.text.split())[:160]
            results.append(
                {
                    "page": page,
                    "median_s": round(statistics.median(times), 3),
                    "status": status,
                    "goal_s": GOAL_READ_S,
                    "meets_goal": status == 200 and statistics.median(times) < GOAL_READ_S,
                    "note": note,
                }
            )
        return results

    return asyncio.run(run())


# --------------------------------------------------------------------------- one size


def bench_size(size: int, work: Path, arxiv: ArxivStandIn, repeats: int, log: Any) -> dict[str, Any]:
    folder = work / f"lists-{size}"
    folder.mkdir()
    for index in range(size // ENTRIES_PER_LIST):
        write_list(folder, index)
    db = work / f"scale{size}.db"
    env = _child_env()
    steps = {}
    for step, args in (
        ("import", ["import", str(folder)]),
        ("import (unchanged)", ["import", str(folder)]),
        ("fetch", ["--arxiv-url", arxiv.url, "--arxiv-delay", "0", "fetch"]),
        ("reconcile", ["reconcile"]),
    ):
        log(f"  {size:>7,}: {step} ...")
        steps[step] = run_child(args, db, env)
        log(f"  {size:>7,}: {step} {steps[step]['wall_s']} s, {steps[step]['peak_rss_mib']} MiB")
        if steps[step]["exit"] not in (0, 3):
            raise SystemExit(f"{step} failed at {size}: {steps[step]['stderr_tail']}")
    with contextlib.closing(sqlite3.connect(db)) as connection:
        counts = {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("lists", "entries", "papers", "raw_entries", "findings")
        }
        counts["open findings"] = connection.execute(
            "SELECT count(*) FROM findings WHERE resolved_at IS NULL"
        ).fetchone()[0]
    log(f"  {size:>7,}: reads ...")
    reads = time_reads(db, repeats, sorted(folder.glob("*.md"))[0])
    log(f"  {size:>7,}: datasette ...")
    pages = time_datasette(db, repeats, DATASETTE_SETTINGS)
    log(f"  {size:>7,}: datasette with its default settings ...")
    default_pages = time_datasette(db, repeats)
    figures = file_figures(db, counts["papers"])
    return {
        "size": size,
        "counts": counts,
        "steps": steps,
        "file": figures,
        "reads": reads,
        "datasette": pages,
        "datasette_default": default_pages,
    }


# --------------------------------------------------------------------------- results


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def render_markdown(results: dict[str, Any]) -> str:
    runs = results["runs"]
    sizes = [run["size"] for run in runs]
    header = " | ".join(f"{s:,}" for s in sizes)
    line = "|" + "---|" * (len(sizes) + 2)
    out = [
        "# Scale: reads, memory and file size at 1k, 10k and 100k papers",
        "",
        f"Run {results['when']} on {results['machine']} (Python {results['python']}), `{RERUN}"
        f"{' --sizes ' + ','.join(map(str, sizes)) if tuple(sizes) != DEFAULT_SIZES else ''}`. "
        "Absolute times vary from run to run on this 2-core machine (by tens of percent when other "
        "jobs share it: see the notes for how it was loaded this time); sizes against each other, and "
        "figures against the goals, are what count.",
        "",
        f"Corpus: {ENTRIES_PER_LIST:,} entries per generated list (the four shapes of "
        "tests/fixtures/reading-lists), one distinct arXiv paper each, fetched from the local "
        "stand-in at delay 0. Goals are issue 13's: every reading command under 1 s at 100k, "
        "import and reconcile memory flat in the corpus size, the file at most 1,300 bytes per paper.",
        "",
        "## Reading commands (seconds, median of "
        f"{results['repeats']}; in-process, without the interpreter's start-up)",
        "",
        f"| command | {header} | under 1 s at the largest |",
        line,
    ]
    for i, read in enumerate(runs[0]["reads"]):
        cells = " | ".join(f"{run['reads'][i]['median_s']:.3f}" for run in runs)
        out.append(f"| `{read['command']}` | {cells} | {_yes(runs[-1]['reads'][i]['meets_goal'])} |")
    out += [
        "",
        f"A harvester process starts in {results['startup_s']:.2f} s (`harvester --help`), paid once by "
        "every command run from a shell on top of the figures above.",
        "",
        f"## Datasette pages (seconds, median of {results['repeats']}; HTTP status at the largest)",
        "",
        "In process (`datasette.app.Datasette` with the dashboard plugin's metadata, the default 1 s SQL time limit), "
        "run as the README says (`--setting suggest_facets off`); the last column is the same page "
        "at the largest size with Datasette's default settings, where every page load also runs a "
        "facet-suggestion query per column over the whole view or table.",
        "",
        f"| page | {header} | status | under 1 s at the largest | default settings, largest |",
        "|" + "---|" * (len(sizes) + 4),
    ]
    for i, page in enumerate(runs[0]["datasette"]):
        last = runs[-1]["datasette"][i]
        cells = " | ".join(f"{run['datasette'][i]['median_s']:.3f}" for run in runs)
        parts = page["page"].split("/", 2)
        path = parts[2] if len(parts) == 3 else "(the database's page)"
        default = runs[-1].get("datasette_default")
        plain = f"{default[i]['median_s']:.3f} ({default[i]['status']})" if default else "not run"
        out.append(f"| `{path}` | {cells} | {last['status']} | {_yes(last['meets_goal'])} | {plain} |")
    out += [
        "",
        "## Building the database: wall time (s) and peak RSS (MiB) of each command's process",
        "",
        f"| step | {header} | flat in size |",
        line,
    ]
    for step in runs[0]["steps"]:
        cells = " | ".join(
            f"{run['steps'][step]['wall_s']:.1f} s, {run['steps'][step]['peak_rss_mib']:.0f} MiB" for run in runs
        )
        first, last = runs[0]["steps"][step]["peak_rss_mib"], runs[-1]["steps"][step]["peak_rss_mib"]
        flat = last <= first * 1.5 + 20
        goal = step.startswith("import") or step == "reconcile"
        out.append(
            f"| `{step}` | {cells} | {_yes(flat) if goal else ('yes' if flat else 'no')} {'(goal)' if goal else ''} |"
        )
    out += [
        "",
        "Flat means the largest size's peak is within 1.5x (+20 MiB) of the smallest's. "
        "`fetch` has no memory goal: it is listed for completeness.",
        "",
        "## The file",
        "",
        f"| | {header} |",
        "|" + "---|" * (len(sizes) + 1),
        "| papers | " + " | ".join(f"{run['counts']['papers']:,}" for run in runs) + " |",
        "| open findings | " + " | ".join(f"{run['counts']['open findings']:,}" for run in runs) + " |",
        "| file (MB) | " + " | ".join(f"{run['file']['file_bytes'] / 1e6:.1f}" for run in runs) + " |",
        "| bytes per paper (goal ≤ 1,300) | "
        + " | ".join(
            f"{run['file']['bytes_per_paper']:,} {'' if run['file']['bytes_per_paper'] <= GOAL_BYTES_PER_PAPER else '**over**'}"
            for run in runs
        )
        + " |",
        "| raw_entries' share of the file | "
        + " | ".join(f"{100 * (run['file']['raw_entries_share'] or 0):.0f}%" for run in runs)
        + " |",
        "",
        "Largest tables and indexes at the largest size (bytes): "
        + ", ".join(f"{name} {size:,}" for name, size in runs[-1]["file"]["largest"])
        + ".",
        "",
    ]
    if results.get("notes"):
        out += ["## Notes", ""] + [paragraph + "\n" for paragraph in results["notes"]]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child_main(argv[1], argv[2:])
        return
    from tests.standins.arxiv import ArxivStandIn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, DEFAULT_SIZES)),
        help="papers per database, comma-separated, multiples of 1000",
    )
    parser.add_argument("--repeats", type=int, default=3, help="timings per read (the median is reported)")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for results.md and results.json")
    parser.add_argument("--keep", type=Path, default=None, help="build the databases in this folder and keep them")
    parser.add_argument(
        "--datasette-again",
        type=Path,
        default=None,
        help="only time Datasette's pages again, on the databases a --keep run left in this folder",
    )
    parser.add_argument("--note", action="append", default=[], help="a paragraph for the results' notes")
    args = parser.parse_args(argv)
    if args.datasette_again:
        results = json.loads((args.out / "results.json").read_text(encoding="utf-8"))
        for run in results["runs"]:
            size = run["size"]
            db = args.datasette_again / f"run-{size}" / f"scale{size}.db"
            run["datasette"] = time_datasette(db, args.repeats, DATASETTE_SETTINGS)
            run["datasette_default"] = time_datasette(db, args.repeats)
        notes = results.get("notes", []) + args.note
        write_results(args.out, results["startup_s"], results["repeats"], results["runs"], results["when"], notes)
        return
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if not sizes or any(s <= 0 or s % ENTRIES_PER_LIST for s in sizes):
        parser.error(f"--sizes: positive multiples of {ENTRIES_PER_LIST}")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    with contextlib.ExitStack() as stack:
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            work = args.keep
        else:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="harvester-scale-")))
        arxiv = stack.enter_context(ArxivStandIn(synthetic=True))
        startup = startup_seconds(_child_env())
        runs = []
        for size in sorted(sizes):
            log(f"size {size:,}")
            sub = work / f"run-{size}"
            if sub.exists():
                raise SystemExit(f"{sub} exists: give --keep an empty folder")
            sub.mkdir()
            runs.append(bench_size(size, sub, arxiv, args.repeats, log))
            write_results(args.out, startup, args.repeats, runs, notes=args.note)
    log(f"wrote {args.out / 'results.md'}")


def write_results(
    out: Path,
    startup: float,
    repeats: int,
    runs: list[dict[str, Any]],
    when: str | None = None,
    notes: list[str] | None = None,
) -> None:
    results = {
        "notes": notes or [],
        "when": when or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "repeats": repeats,
        "startup_s": startup,
        "runs": runs,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "results.md").write_text(render_markdown(results), encoding="utf-8")


if __name__ == "__main__":
    main()
