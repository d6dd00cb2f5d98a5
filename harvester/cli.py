"""The `harvester` command line: parse options, call the modules, print.

Data goes to stdout (tables, or JSON with --json); progress and errors go to
stderr. Exit codes: 0 done, 1 the run failed, 2 usage error, 3 done and the
problems asked about with --fail-on were found.
"""

from __future__ import annotations

import asyncio
import csv
import functools
import json
import logging
import os
import re
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import httpx
import typer
from rich.table import Table
from sqlite_utils import Database

from . import __version__, settings_check
from .acceptances import AcceptanceSet, checked_reason, load, locate, mirror, write_file
from .acceptances import accept as with_accepted
from .acceptances import unaccept as without_key
from .arxiv.client import ClientConfig
from .enrich import SOURCES, EnrichConfig, run_enrich
from .errors import DatabaseError, HarvesterError, InputError, InvalidArxivId
from .export import ExportFormat
from .export import export as render
from .findings import open_findings, run_reconcile
from .fix import plan_fixes, write_fixes
from .harvest import harvest_with, listed_ids, stale_ids
from .ids import parse_arxiv_id
from .importer import discover, import_lists, read_source
from .links import LinkCheckConfig, check_links
from .output import data_table, make_console, print_error, print_plain, print_warning
from .query import run_query
from .query import search as run_search
from .refresh import RefreshOptions, dumps, run_refresh, summary_lines
from .report import ReportFormat, fails_on, print_findings_table, render_findings, report_rows, without_accepted
from .settings_check import InvalidSetting
from .status import collect_status
from .store import ensure_db_shape, open_db, open_readonly
from .timeutil import iso, utc_now
from .vocabulary import RunStatus, Severity, Verdict

app = typer.Typer(
    help="Turn hand-kept research reading lists into a SQLite database checked against arXiv.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Piped into a cron log or a file there is no terminal width to fit: use a wide page.
_PIPED_WIDTH = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160
stdout = make_console(width=_PIPED_WIDTH)
stderr = make_console(stderr=True)
log = logging.getLogger("harvester")

DEFAULT_ARXIV_URL = "https://export.arxiv.org/api/query"
EXIT_FAILED = 1  # usage errors exit 2 through typer itself
EXIT_PROBLEMS = 3

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Settings:
    db: Path
    arxiv_url: str
    arxiv_delay: float
    contact: str | None
    arxiv_timeout: float = 60.0
    arxiv_attempts: int = 6
    arxiv_backoff: float = 3.0
    accept_file: Path | None = None

    def client_config(self, batch_size: int = 500) -> Any:

        return ClientConfig(
            base_url=self.arxiv_url,
            delay=self.arxiv_delay,
            batch_size=batch_size,
            contact=self.contact,
            timeout=httpx.Timeout(self.arxiv_timeout, connect=min(10.0, self.arxiv_timeout)),
            max_attempts=self.arxiv_attempts,
            backoff_base=self.arxiv_backoff,
            max_retry_after=max(self.arxiv_backoff * 40, 1.0),
        )


def reports_errors(command: F) -> F:
    """Turn every failure into one clear line on stderr and exit 1, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise  # usage errors and deliberate exits keep their own exit codes
        except InvalidSetting as error:  # a setting read from the environment: a usage error too
            raise typer.BadParameter(error.reason, param_hint=error.name) from None
        except HarvesterError as error:
            print_error(stderr, error)
            raise typer.Exit(EXIT_FAILED) from None
        except KeyboardInterrupt:
            stderr.print("interrupted: everything finished before this point is saved")
            raise typer.Exit(130) from None
        except Exception as error:  # noqa: BLE001 - the last line of defence for cron logs
            log.debug("unexpected error", exc_info=True)
            print_error(stderr, f"unexpected {type(error).__name__}: {error} (run with HARVESTER_DEBUG=1 for details)")
            if _debug():
                raise
            raise typer.Exit(EXIT_FAILED) from None

    return wrapper  # type: ignore[return-value]


def _debug() -> bool:
    return os.environ.get("HARVESTER_DEBUG", "") not in ("", "0")


def _checked(check: Callable[[str, Any], Any]) -> Callable[..., Any]:
    """An option callback that validates with `check`, naming the variable when the value came from one."""

    def callback(ctx: typer.Context, param: typer.CallbackParam, value: Any) -> Any:
        source = ctx.get_parameter_source(param.name or "")
        from_env = source is not None and source.name == "ENVIRONMENT"
        name = str(param.envvar) if from_env and param.envvar else param.opts[0]
        try:
            return check(name, value)
        except InvalidSetting as error:
            raise typer.BadParameter(error.reason, param_hint=name) from None

    return callback


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"harvester {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    db: Annotated[Path, typer.Option("--db", envvar="HARVESTER_DB", help="SQLite database file.")] = Path(
        "db/harvester.db"
    ),
    arxiv_url: Annotated[
        str, typer.Option("--arxiv-url", envvar="HARVESTER_ARXIV_URL", help="arXiv API endpoint (or a mirror/proxy).")
    ] = DEFAULT_ARXIV_URL,
    arxiv_delay: Annotated[
        float,
        typer.Option(
            "--arxiv-delay",
            envvar="HARVESTER_ARXIV_DELAY",
            callback=_checked(settings_check.delay),
            help="Seconds between arXiv requests (arXiv asks 3).",
        ),
    ] = 3.0,
    contact: Annotated[
        str | None, typer.Option("--contact", envvar="HARVESTER_CONTACT", help="E-mail for the User-Agent.")
    ] = None,
    arxiv_timeout: Annotated[
        float,
        typer.Option(
            "--arxiv-timeout",
            envvar="HARVESTER_ARXIV_TIMEOUT",
            callback=_checked(settings_check.timeout),
            help="Seconds to wait for arXiv.",
        ),
    ] = 60.0,
    arxiv_attempts: Annotated[
        int,
        typer.Option(
            "--arxiv-attempts",
            envvar="HARVESTER_ARXIV_ATTEMPTS",
            callback=_checked(settings_check.count),
            help="Tries per arXiv request.",
        ),
    ] = 6,
    arxiv_backoff: Annotated[
        float,
        typer.Option(
            "--arxiv-backoff",
            envvar="HARVESTER_ARXIV_BACKOFF",
            callback=_checked(settings_check.delay),
            help="First retry wait in seconds; doubles.",
        ),
    ] = 3.0,
    accept_file: Annotated[
        Path | None,
        typer.Option(
            "--accept-file",
            envvar="HARVESTER_ACCEPT_FILE",
            help="Accepted findings (default: harvester-accept.toml beside the lists).",
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each request and retry on stderr.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.INFO if verbose else logging.WARNING)
    ctx.obj = Settings(
        db=db,
        arxiv_url=arxiv_url,
        arxiv_delay=arxiv_delay,
        contact=contact,
        arxiv_timeout=arxiv_timeout,
        arxiv_attempts=arxiv_attempts,
        arxiv_backoff=arxiv_backoff,
        accept_file=accept_file,
    )


JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    return data_table(title, columns, rows)


# --- import -------------------------------------------------------------------------


@app.command("import")
@reports_errors
def import_command(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Markdown files or folders of them (default: seeds/).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Parse reading lists into the database. An unchanged list writes nothing."""

    settings: Settings = ctx.obj
    # Read every file first: a bad input must leave the database untouched. Each is
    # parsed later, in its turn, so only one parsed list is held at a time.
    sources = [read_source(path) for path in discover(paths or [Path("seeds")])]
    accepted = _accepted(settings, [source.path for source in sources])
    db = open_db(settings.db)
    results = import_lists(db, sources, utc_now())
    _mirror(db, accepted)
    ensure_db_shape(db)
    if as_json:
        _print_json([r.as_dict() for r in results])
        return
    stdout.print(
        _table(
            "Imported",
            ["list", "status", "entries", "papers", "sections", "added", "updated", "removed"],
            [
                [r.name, r.status, r.entries, r.paper_entries, r.sections, r.added, r.updated, r.removed]
                for r in results
            ],
        )
    )


# --- fetch --------------------------------------------------------------------------


def _duration(text: str, option: str) -> Any:
    try:
        return settings_check.duration(option, text)
    except InvalidSetting as error:
        raise typer.BadParameter(error.reason, param_hint=option) from None


def _parse_ids(values: list[str]) -> list[str]:
    ids = []
    for value in values:
        for part in value.replace(",", " ").split():
            try:
                ids.append(parse_arxiv_id(part).id)
            except InvalidArxivId as error:
                raise typer.BadParameter(str(error), param_hint="--ids") from None
    if values and not ids:
        # No ID at all would otherwise mean "every stale paper": not what `--ids` asked for.
        raise typer.BadParameter("no arXiv ID given", param_hint="--ids")
    return list(dict.fromkeys(ids))


@app.command()
@reports_errors
def fetch(
    ctx: typer.Context,
    all_papers: Annotated[bool, typer.Option("--all", help="Fetch every listed paper, fresh or not.")] = False,
    ids: Annotated[list[str] | None, typer.Option("--ids", help="Fetch these IDs (repeat or comma-separate).")] = None,
    stale_after: Annotated[
        str, typer.Option("--stale-after", help="Refetch papers last fetched longer ago than this (e.g. 20h, 7d).")
    ] = "20h",
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=2000, help="IDs per arXiv request.")] = 500,
    as_json: JsonOption = False,
) -> None:
    """Fetch arXiv metadata for papers never fetched or older than the stale age."""

    settings: Settings = ctx.obj
    stale_age = _duration(stale_after, "--stale-after")
    wanted = _parse_ids(ids or [])
    db = open_db(settings.db)
    now = utc_now()
    if not wanted:
        wanted = listed_ids(db)
        if not all_papers:
            wanted = stale_ids(db, wanted, now, stale_age)
    summary = asyncio.run(
        harvest_with(db, settings.client_config(batch_size), wanted, now, lambda text: print_plain(stderr, text))
    )
    ensure_db_shape(db)
    _report_harvest(summary.as_dict(), as_json)
    if summary.versions_warning:
        print_warning(stderr, summary.versions_warning)
    if summary.failed:
        print_error(stderr, summary.failed)
        raise typer.Exit(EXIT_FAILED)


def _report_harvest(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _print_json(summary)
        return
    print_plain(
        stdout,
        f"fetched {summary['fetched']} of {summary['requested']} papers "
        f"({summary['new_papers']} new, {summary['new_versions']} new versions, "
        f"{len(summary['missing'])} missing, {len(summary['invalid'])} invalid) "
        f"and {summary['versions_added']} earlier versions in {summary['requests_made']} requests",
    )
    for missing in summary["missing"]:
        print_plain(stdout, f"  missing on arXiv: {missing}")
    for item in summary["invalid"]:
        print_plain(stdout, f"  invalid: {item['id']}: {item['reason']}")


# --- search, query, export ---------------------------------------------------------


@app.command()
@reports_errors
def search(
    ctx: typer.Context,
    terms: Annotated[list[str], typer.Argument(help='Words or "quoted phrases"; all must match.')],
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many hits.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """Full-text search over titles, abstracts and notes, ranked."""

    settings: Settings = ctx.obj
    hits = run_search(open_readonly(settings.db), " ".join(terms), limit)
    if as_json:
        _print_json(hits)
        return
    if not hits:
        stderr.print("no matches")
        return
    stdout.print(
        _table(
            f"{len(hits)} hits",
            ["list", "section", "line", "arXiv", "title", "match"],
            [
                [h["list"], h["section"], h["line"], h["arxiv_id"], h["title"] or h["noted_title"], h["snippet"]]
                for h in hits
            ],
        )
    )


class QueryFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


@app.command()
@reports_errors
def query(
    ctx: typer.Context,
    sql: Annotated[str, typer.Argument(help="One SQL statement; the database is opened read-only.")],
    fmt: Annotated[QueryFormat, typer.Option("--format", help="How to print the rows.")] = QueryFormat.TABLE,
) -> None:
    """Run read-only SQL on the database. Writes are refused and the file is left untouched."""

    settings: Settings = ctx.obj
    result = run_query(open_readonly(settings.db), sql)
    if fmt == "json":
        _print_json(result.as_dicts())
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows(result.rows)
    else:
        stdout.print(_table(f"{len(result.rows)} rows", result.columns, [list(r) for r in result.rows]))


@app.command()
@reports_errors
def export(
    ctx: typer.Context,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="What to write.")] = ExportFormat.BIBTEX,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Export the listed papers with their metadata."""

    settings: Settings = ctx.obj
    text = render(open_readonly(settings.db), fmt)
    if output:
        output.write_text(text, encoding="utf-8")
        print_plain(stderr, f"wrote {output}")
    else:
        sys.stdout.write(text)


# --- reconcile, report, fix ----------------------------------------------------------

FailOnSeverity = Annotated[
    Severity | None,
    typer.Option("--fail-on", help="Exit 3 when open findings of this severity or worse exist."),
]


@app.command()
@reports_errors
def reconcile(
    ctx: typer.Context,
    fail_on: FailOnSeverity = None,
    as_json: JsonOption = False,
) -> None:
    """Compare the lists' notes with the stored metadata (no network) and update the findings."""

    settings: Settings = ctx.obj
    accepted = _accepted(settings)
    db = open_db(settings.db)
    summary = run_reconcile(db, now=utc_now())
    _mirror(db, accepted)
    ensure_db_shape(db)
    findings = without_accepted(open_findings(db), accepted)
    if as_json:
        _print_json({"summary": summary.as_dict(), "findings": findings})
    else:
        by_severity = ", ".join(f"{n} {s}" for s, n in sorted(summary.by_severity.items())) or "none"
        print_plain(
            stdout,
            f"{summary.open} open findings ({by_severity}); {summary.new} new, "
            f"{summary.reopened} reopened, {summary.resolved} resolved. `harvester report` shows them.",
        )
    if fails_on(findings, fail_on):
        raise typer.Exit(EXIT_PROBLEMS)


@app.command()
@reports_errors
def report(
    ctx: typer.Context,
    fmt: Annotated[ReportFormat, typer.Option("--format", help="How to print the findings.")] = ReportFormat.TABLE,
    include_info: Annotated[bool, typer.Option("--info/--no-info", help="Include info findings.")] = True,
    fail_on: FailOnSeverity = None,
) -> None:
    """Open findings and link problems, grouped by list and section, with line numbers."""

    settings: Settings = ctx.obj
    accepted = _accepted(settings)
    db = Database(open_readonly(settings.db))
    every_row = report_rows(db, include_info=include_info)
    findings = without_accepted(every_row, accepted)
    _say_hidden(len(every_row) - len(findings))
    if fmt == "table":
        if findings:
            print_findings_table(findings, stdout)
        else:
            stdout.print("No open findings.")
    else:
        sys.stdout.write(render_findings(findings, fmt))
    if fails_on(findings, fail_on):
        raise typer.Exit(EXIT_PROBLEMS)


def _require_db(path: Path) -> None:

    if not path.exists():
        raise DatabaseError(f"no database at {path}: run `harvester import` or `harvester refresh` first")


@app.command()
@reports_errors
def fix(
    ctx: typer.Context,
    path: Annotated[Path | None, typer.Argument(help="Only this list (default: every imported list).")] = None,
    kinds: Annotated[
        list[str] | None, typer.Option("--kinds", help="Only these kinds (repeat or comma-separate).")
    ] = None,
    write: Annotated[bool, typer.Option("--write", help="Apply the edits (atomically, keeping a .bak).")] = False,
) -> None:
    """The safe corrections as a unified diff; with --write, applied to the markdown."""

    settings: Settings = ctx.obj
    _require_db(settings.db)
    db = open_db(settings.db)
    wanted = {k.strip() for value in kinds or [] for k in value.split(",") if k.strip()} or None
    if kinds and wanted is None:
        raise typer.BadParameter("no kind given", param_hint="--kinds")
    plans = plan_fixes(db, path.resolve() if path else None, wanted)
    if not any(plan.edits for plan in plans):
        stderr.print("nothing to fix")
        return
    for plan in plans:
        sys.stdout.write(plan.diff())
        for skipped in plan.skipped:
            print_plain(stderr, f"skipped {plan.path.name}:{skipped.line} {skipped.kind}: {skipped.reason}")
    if not write:
        return
    write_fixes(
        db,
        plans,
        utc_now(),
        lambda plan, backup: print_plain(stderr, f"wrote {plan.path} ({len(plan.edits)} edits; backup {backup})"),
    )


# --- links ------------------------------------------------------------------------------


class LinkFailOn(StrEnum):
    DEAD = "dead"
    MOVED = "moved"  # moved or dead


LINK_FAIL_ON = {LinkFailOn.DEAD: {Verdict.DEAD}, LinkFailOn.MOVED: {Verdict.DEAD, Verdict.MOVED}}


# Politeness of the link checker: polite defaults, each adjustable from the environment
# (so that `refresh` in a cron job and `links` by hand share one setting).
LINK_ENV: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    "concurrency": ("HARVESTER_LINKS_CONCURRENCY", settings_check.count),
    "per_host": ("HARVESTER_LINKS_PER_HOST", settings_check.count),
    "per_host_delay": ("HARVESTER_LINKS_DELAY", settings_check.delay),
    "timeout": ("HARVESTER_LINKS_TIMEOUT", settings_check.timeout),
    "retries": ("HARVESTER_LINKS_RETRIES", settings_check.retries),
    "backoff": ("HARVESTER_LINKS_BACKOFF", settings_check.delay),
}


def _link_config(allow_private: bool, max_age: str | None = None, exclude: list[str] | None = None) -> Any:

    changes: dict[str, Any] = {"allow_private": allow_private, "exclude": _exclude_patterns(exclude or [])}
    for field, (name, check) in LINK_ENV.items():
        if os.environ.get(name, "").strip():
            changes[field] = check(name, os.environ[name].strip())
    if max_age:
        changes["max_age"] = _duration(max_age, "--max-age")
    return LinkCheckConfig(**changes)


def _exclude_patterns(patterns: list[str]) -> tuple[str, ...]:

    for pattern in patterns:
        if not pattern:
            raise typer.BadParameter("an empty pattern would skip every link", param_hint="--exclude")
        try:
            re.compile(pattern)
        except re.error as error:
            raise typer.BadParameter(
                f"not a regular expression: {pattern!r} ({error})", param_hint="--exclude"
            ) from None
    return tuple(patterns)


AllowPrivate = Annotated[
    bool, typer.Option("--allow-private", help="Also check loopback, private and link-local addresses.")
]


@app.command()
@reports_errors
def links(
    ctx: typer.Context,
    all_links: Annotated[bool, typer.Option("--all", help="Check links still ok within --max-age too.")] = False,
    max_age: Annotated[
        str, typer.Option("--max-age", help="An ok link younger than this is not checked again.")
    ] = "20h",
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Skip URLs matching this regular expression.")
    ] = None,
    allow_private: AllowPrivate = False,
    fail_on: Annotated[
        LinkFailOn | None, typer.Option("--fail-on", help="Exit 3 when such links exist (moved includes dead).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check every link in the lists; record verdicts and their history."""

    settings: Settings = ctx.obj
    config = _link_config(allow_private, max_age, exclude)
    db = open_db(settings.db)
    report = asyncio.run(check_links(db, config, all=all_links))
    ensure_db_shape(db)
    rows = [_link_row(result) for result in report.results]
    if as_json:
        _print_json(
            {
                "network_down": report.network_down,
                "checked": report.checked,
                "not_due": report.not_due,
                "requests": report.requests_made,
                "counts": report.counts(),
                "links": rows,
            }
        )
    else:
        stdout.print(
            _table(
                f"{report.checked} links checked ({report.not_due} still fresh), {report.requests_made} requests",
                ["verdict", "status", "url", "final url / suggestion", "used at"],
                [
                    [r["verdict"], r["status"], r["url"], r["suggestion"] or r["final_url"] or r["error"], r["used_at"]]
                    for r in rows
                ],
            )
        )
    if report.network_down:
        print_error(stderr, "network down: no link could be reached; no failure was counted against any link")
        raise typer.Exit(EXIT_FAILED)
    if fail_on and any(r["verdict"] in LINK_FAIL_ON[fail_on] for r in rows):
        raise typer.Exit(EXIT_PROBLEMS)


def _link_row(result: Any) -> dict[str, Any]:
    return {
        "url": result.url,
        "verdict": result.verdict.value,
        "status": result.status,
        "final_url": result.final_url,
        "suggestion": result.suggestion,
        "error": result.error,
        "note": result.note,
        "hops": [hop.as_dict() for hop in result.hops],
        "used_at": ", ".join(f"{e.list_name}:{e.line}" for e in result.entries),
        "entries": [{"list": e.list_name, "line": e.line, "section": e.section} for e in result.entries],
    }


# --- enrich ---------------------------------------------------------------------------


@app.command()
@reports_errors
def enrich(
    ctx: typer.Context,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", help="Only this source: semantic_scholar or huggingface (repeatable)."),
    ] = None,
    all_papers: Annotated[
        bool, typer.Option("--all", help="Ask again even when the last answer is younger than the age.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Published venue, DOI, citations and official code from Semantic Scholar and Hugging Face."""

    for name in source or []:
        if name not in SOURCES:
            raise typer.BadParameter(
                f"unknown source {name!r}; choose from {', '.join(SOURCES)}", param_hint="--source"
            )
    settings: Settings = ctx.obj
    config = EnrichConfig.from_env(os.environ)
    db = open_db(settings.db)
    summary = run_enrich(db, config, sources=source or None, all=all_papers, now=utc_now())
    ensure_db_shape(db)
    result = summary.as_dict()
    if as_json:
        _print_json(result)
    else:
        rows = [
            [name, s["due"], s["found"], s["not_found"], s["failed"], s["requests_made"], s["error"]]
            for name, s in result["sources"].items()
        ]
        stdout.print(
            _table(
                f"enrichment {result['status']}",
                ["source", "due", "found", "not found", "failed", "requests", "error"],
                rows,
            )
        )
    if summary.partial:
        print_warning(stderr, f"{summary.error}; earlier answers are kept", label="partial")
        raise typer.Exit(EXIT_FAILED)


# --- refresh and status ---------------------------------------------------------------------


@app.command()
@reports_errors
def refresh(
    ctx: typer.Context,
    paths: Annotated[list[Path] | None, typer.Argument(help="Reading lists or folders (default: seeds/).")] = None,
    stale_after: Annotated[str, typer.Option("--stale-after", help="Refetch papers older than this.")] = "20h",
    no_links: Annotated[bool, typer.Option("--no-links", help="Skip the link check.")] = False,
    no_enrich: Annotated[bool, typer.Option("--no-enrich", help="Skip Semantic Scholar and Hugging Face.")] = False,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Do not check links matching this regular expression.")
    ] = None,
    allow_private: AllowPrivate = False,
    as_json: JsonOption = False,
) -> None:
    """The nightly job: import, fetch, enrich, reconcile and check links, once, under a lock."""

    settings: Settings = ctx.obj
    stale = _duration(stale_after, "--stale-after")
    accepted = _accepted(settings, _refreshed_lists(paths or [Path("seeds")]))
    options = RefreshOptions(
        db_path=settings.db,
        paths=tuple(paths or [Path("seeds")]),
        arxiv=settings.client_config(),
        stale_after=stale,
        links=None if no_links else _link_config(allow_private, exclude=exclude),
        enrich=None if no_enrich else _enrich_config(),
        accepted=accepted,
    )
    report = run_refresh(options, progress=lambda text: print_plain(stderr, text))
    if as_json:
        typer.echo(dumps(report))
    else:
        for line in summary_lines(report):
            print_plain(stdout, line)
    if report.status != RunStatus.OK:
        for error in report.errors:
            print_error(stderr, error)
        raise typer.Exit(EXIT_FAILED)


def _enrich_config() -> EnrichConfig:
    return EnrichConfig.from_env(os.environ)


@app.command()
@reports_errors
def status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Last runs, what the database holds, what is stale, what failed."""

    settings: Settings = ctx.obj
    _require_db(settings.db)
    state = collect_status(settings.db, accepted=_accepted(settings))
    if as_json:
        _print_json(state)
        return
    stdout.print(
        _table(
            "Last runs",
            ["run", "started", "ended", "status", "errors"],
            [[r["id"], r["started_at"], r["ended_at"], r["status"], "; ".join(r["errors"])] for r in state["runs"]],
        )
    )
    if state["refused"]:
        stdout.print(
            _table(
                "Refreshes that could not start",
                ["at", "reason"],
                [[r.get("at"), r.get("reason")] for r in state["refused"]],
            )
        )
    stdout.print(_table("Database", ["what", "count"], [[k, v] for k, v in state["counts"].items()]))
    stdout.print(_table("Needs attention", ["what", "count"], [[k, v] for k, v in state["attention"].items()]))


def _refreshed_lists(paths: list[Path]) -> list[Path]:

    try:
        return discover(paths)
    except InputError:
        return []  # refresh reports a missing list itself, as its import step failing


# --- accept, unaccept -------------------------------------------------------------------


def _accepted(settings: Settings, list_paths: list[Path] | None = None) -> Any:
    """The acceptance file's contents, read (and checked) before anything is written."""

    lists = list_paths if list_paths is not None else _imported_lists(settings.db)
    return load(locate(settings.accept_file, lists, Path.cwd()))


def _imported_lists(db_path: Path) -> list[Path]:

    if not db_path.exists():
        return []
    try:
        return [Path(row[0]) for row in open_readonly(db_path).execute("SELECT path FROM lists").fetchall()]
    except sqlite3.OperationalError:  # no list imported yet
        return []


def _mirror(db: Any, accepted: Any) -> None:

    mirror(db, accepted)


def _say_hidden(count: int) -> None:
    if count:
        plural = "s" if count != 1 else ""
        stderr.print(f"{count} accepted finding{plural} hidden (`harvester accept --list` shows them)", highlight=False)


def _all_open_rows(settings: Settings) -> list[dict[str, Any]]:

    return report_rows(open_db(settings.db)) if settings.db.exists() else []


@app.command()
@reports_errors
def accept(
    ctx: typer.Context,
    key: Annotated[
        str | None, typer.Argument(help="The finding's key, as `report --format json` or markdown shows it.")
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why the finding is accepted on purpose.")] = None,
    list_them: Annotated[
        bool, typer.Option("--list", help="List the acceptances and whether each still applies.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Accept a finding on purpose: `report` hides it until the values it is about change."""

    settings: Settings = ctx.obj
    accepted = _accepted(settings)
    if list_them:
        _print_acceptances(accepted, _all_open_rows(settings), as_json)
        return
    if key is None:
        raise typer.BadParameter("give a finding's key, or --list", param_hint="KEY")
    if reason is None:
        raise typer.BadParameter("say why the finding is accepted", param_hint="--reason")
    why = checked_reason(reason)
    _require_db(settings.db)
    finding = next((row for row in _all_open_rows(settings) if row["key"] == key), None)
    if finding is None:
        raise HarvesterError(f"no open finding has the key {key!r} (`harvester report --format json` shows the keys)")
    updated = AcceptanceSet(accepted.path, with_accepted(accepted, finding, why, iso(utc_now())))
    write_file(updated.path, updated.acceptances)
    mirror(open_db(settings.db), updated)
    stdout.print(f"accepted {key} in {updated.path}", highlight=False)


@app.command()
@reports_errors
def unaccept(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The key of an accepted finding (`harvester accept --list`).")],
) -> None:
    """Take back an acceptance: the finding is reported again."""

    settings: Settings = ctx.obj
    accepted = _accepted(settings)
    updated = AcceptanceSet(accepted.path, without_key(accepted, key))
    write_file(updated.path, updated.acceptances)
    if settings.db.exists():
        mirror(open_db(settings.db), updated)
    stdout.print(f"unaccepted {key} in {updated.path}", highlight=False)


def _print_acceptances(accepted: Any, findings: list[dict[str, Any]], as_json: bool) -> None:
    rows = [{**a.as_dict(), "state": accepted.state_of(a, findings)} for a in accepted.acceptances]
    if as_json:
        _print_json({"file": str(accepted.path), "acceptances": rows})
        return
    stdout.print(
        _table(
            f"{len(rows)} acceptances in {accepted.path}",
            ["key", "list", "kind", "state", "accepted", "reason"],
            [[r["key"], r["list"], r["kind"], r["state"], r["accepted_at"], r["reason"]] for r in rows],
        )
    )
