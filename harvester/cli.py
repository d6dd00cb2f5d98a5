"""The `harvester` command line: parse options, call the modules, print.

Data goes to stdout (tables, or JSON with --json); progress and errors go to
stderr. Exit codes: 0 done, 1 the run failed, 2 usage error, 3 done and the
problems asked about with --fail-on were found.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import functools
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from sqlite_utils import Database
from typer.core import TyperGroup

from . import __version__
from .config import FILE_NAME, ConfigError, Flag, Settings, build, describe, starter_file
from .enrich.config import SOURCES
from .errors import DatabaseBusy, HarvesterError, InputError, InvalidArxivId
from .formats import STYLE_HELP, ExportFormat, ExportStyle, InvalidStyle, ReportFormat, check_style
from .ids import parse_arxiv_id
from .output import data_table, make_console, print_error, print_plain, print_table, print_warning
from .paths import relative_to_root
from .store import ensure_db_shape, open_db, open_readonly, require_database
from .timeutil import iso, utc_now
from .vocabulary import ADVISORY_STEPS, FIXABLE_KINDS, PROBLEM_VERDICTS, Severity, Verdict

if TYPE_CHECKING:
    from rich.table import Table

    from .progress import Display

# Each command imports the modules that do its work when it runs, not here: every
# start pays for what is imported here (cron, the pre-commit hook, `--help`), and the
# parser, the HTTP clients and the reconciler together cost more than all of this.
# tests/test_startup.py holds `import harvester.cli` to that.


class HarvesterGroup(TyperGroup):
    """The app's group: its global options (`--db`, `--config`, ...) are accepted after the command too,
    and every command finds the settings object, built once from every layer, in `ctx.obj`."""

    def resolve_command(self, ctx: typer.Context, args: list[str]) -> Any:  # type: ignore[override]
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None and not getattr(command, "_harvester_ready", False):
            _prepare(command, [p for p in self.params if p.name in GLOBAL_OPTIONS])
        return name, command, rest


app = typer.Typer(
    cls=HarvesterGroup,
    help="Turn hand-kept research reading lists into a SQLite database checked against arXiv.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)
# Piped into a cron log or a file there is no terminal width to fit: use a wide page.
_PIPED_WIDTH = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160
stdout = make_console(width=_PIPED_WIDTH)
stderr = make_console(stderr=True)
log = logging.getLogger("harvester")

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_PROBLEMS = 3

F = TypeVar("F", bound=Callable[..., Any])

# --- settings: flags are recorded as they are parsed, then the object is built once ------------

_FLAGS = "harvester.flags"  # ctx.meta: setting key -> Flag, from every level of the command line
_CONFIG = "harvester.config"  # ctx.meta: the --config path
GLOBAL_OPTIONS = (
    "config",
    "set_values",
    "db",
    "arxiv_url",
    "arxiv_delay",
    "contact",
    "arxiv_timeout",
    "arxiv_attempts",
    "arxiv_backoff",
    "accept_file",
    "verbose",
)


def sets(key: str, given: Any = None) -> Callable[..., Any]:
    """An option callback: a value given on the command line becomes the flag layer of setting `key`.

    The option's own value is not used by the command: it reads the setting from
    `ctx.obj`, where file, environment and flag were weighed and checked once.
    `given` replaces the value (`--no-links` sets `steps.links` to false).
    """

    def callback(ctx: typer.Context, param: typer.CallbackParam, value: Any) -> Any:
        source = ctx.get_parameter_source(param.name or "")
        if source is not None and source.name == "COMMANDLINE":
            label = param.opts[0] if param.opts else (param.name or key).upper()
            raw = given if given is not None else [str(v) for v in value] if isinstance(value, list | tuple) else value
            ctx.meta.setdefault(_FLAGS, {})[key] = Flag(str(raw) if isinstance(raw, os.PathLike) else raw, label)
        return value

    return callback


def _set_values(ctx: typer.Context, param: typer.CallbackParam, values: list[str] | None) -> list[str] | None:
    for item in values or []:
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            _usage_error(f"--set takes KEY=VALUE, not {item!r}")
        ctx.meta.setdefault(_FLAGS, {})[key.strip()] = Flag(value, f"--set {key.strip()}")
    return values


def _config_path(ctx: typer.Context, param: typer.CallbackParam, value: Path | None) -> Path | None:
    if value is not None:
        ctx.meta[_CONFIG] = value
    return value


def _prepare(command: Any, global_params: list[Any]) -> None:
    """Give `command` the global options (unexposed: they only record flags) and build the settings first."""
    for param in global_params:
        twin = copy.copy(param)
        twin.expose_value = False
        twin.rich_help_panel = "Global options"
        command.params.append(twin)
    run = command.invoke

    def invoke(ctx: typer.Context) -> Any:
        ctx.obj = load_settings(ctx)
        return run(ctx)

    command.invoke = invoke
    command._harvester_ready = True


def load_settings(ctx: typer.Context) -> Settings:
    """The settings object from defaults < file < environment < flags; a bad value is one line, exit 2."""
    try:
        settings = build(Path.cwd(), os.environ, ctx.meta.get(_FLAGS, {}), ctx.meta.get(_CONFIG))
    except ConfigError as error:
        _usage_error(str(error))
    logging.basicConfig(
        level=logging.DEBUG if settings.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.INFO if settings.verbose else logging.WARNING)
    return settings


def _usage_error(message: str) -> NoReturn:
    print_error(stderr, message)
    raise typer.Exit(EXIT_USAGE)


def reports_errors(command: F) -> F:
    """Turn every failure into one clear line on stderr and exit 1, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise  # usage errors and deliberate exits keep their own exit codes
        except ConfigError as error:
            _usage_error(str(error))
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


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"harvester {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            callback=_config_path,
            help=f"Settings file (default: ./{FILE_NAME}, else \\[tool.harvester] in ./pyproject.toml).",
        ),
    ] = None,
    set_values: Annotated[
        list[str] | None,
        typer.Option("--set", callback=_set_values, help="Set any setting: KEY=VALUE (repeatable; see README)."),
    ] = None,
    db: Annotated[Path | None, typer.Option("--db", callback=sets("db"), help="SQLite database file.")] = None,
    arxiv_url: Annotated[
        str | None, typer.Option("--arxiv-url", callback=sets("arxiv.url"), help="arXiv API endpoint (or a mirror).")
    ] = None,
    arxiv_delay: Annotated[
        str | None,
        typer.Option(
            "--arxiv-delay", callback=sets("arxiv.delay"), help="Seconds between arXiv requests (arXiv asks 3)."
        ),
    ] = None,
    contact: Annotated[
        str | None, typer.Option("--contact", callback=sets("contact"), help="E-mail for the User-Agent.")
    ] = None,
    arxiv_timeout: Annotated[
        str | None, typer.Option("--arxiv-timeout", callback=sets("arxiv.timeout"), help="Seconds to wait for arXiv.")
    ] = None,
    arxiv_attempts: Annotated[
        str | None, typer.Option("--arxiv-attempts", callback=sets("arxiv.attempts"), help="Tries per arXiv request.")
    ] = None,
    arxiv_backoff: Annotated[
        str | None,
        typer.Option("--arxiv-backoff", callback=sets("arxiv.backoff"), help="First retry wait in seconds; doubles."),
    ] = None,
    accept_file: Annotated[
        Path | None,
        typer.Option(
            "--accept-file",
            callback=sets("accept_file"),
            help="Accepted findings (default: harvester-accept.toml beside the lists).",
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", callback=sets("verbose"), help="Log each request and retry on stderr.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Every option here is also accepted after the command; the settings are built when the command runs."""


JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _progress_on_stderr() -> contextlib.AbstractContextManager[Display]:
    """Bars with counts and time left on a terminal, plain lines in a log; never on stdout."""
    from . import progress

    return progress.showing(progress.display_for(stderr))


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    return data_table(title, columns, rows)


# --- import -------------------------------------------------------------------------

ListsArgument = Annotated[
    list[Path] | None,
    typer.Argument(callback=sets("lists"), help="Markdown files or folders of them (default: the `lists` setting)."),
]


def _lists(settings: Settings) -> list[Path]:
    paths = settings.list_paths()
    if not paths:
        _usage_error(f"no reading lists: name them (`harvester import lists/`) or set `lists` in {FILE_NAME}")
    return paths


@app.command("import")
@reports_errors
def import_command(
    ctx: typer.Context,
    paths: ListsArgument = None,
    as_json: JsonOption = False,
) -> None:
    """Parse reading lists into the database. An unchanged list writes nothing."""

    from .importer import discover, import_lists, read_source

    settings: Settings = ctx.obj
    # Read every file first: a bad input must leave the database untouched. Each is
    # parsed later, in its turn, so only one parsed list is held at a time.
    sources = [read_source(path) for path in discover(_lists(settings))]
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


def _parse_ids(values: list[str]) -> list[str]:
    ids = []
    for value in values:
        for part in value.replace(",", " ").split():
            ids.append(_arxiv_id(part, "--ids"))
    if values and not ids:
        # No ID at all would otherwise mean "every stale paper": not what `--ids` asked for.
        raise typer.BadParameter("no arXiv ID given", param_hint="--ids")
    return list(dict.fromkeys(ids))


StaleAfter = Annotated[
    str | None,
    typer.Option(
        "--stale-after",
        callback=sets("arxiv.stale_after"),
        help="Refetch papers last fetched longer ago than this (e.g. 20h, 7d; default 20h).",
    ),
]


@app.command()
@reports_errors
def fetch(
    ctx: typer.Context,
    all_papers: Annotated[bool, typer.Option("--all", help="Fetch every listed paper, fresh or not.")] = False,
    ids: Annotated[list[str] | None, typer.Option("--ids", help="Fetch these IDs (repeat or comma-separate).")] = None,
    stale_after: StaleAfter = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=2000, help="IDs per arXiv request.")] = 500,
    as_json: JsonOption = False,
) -> None:
    """Fetch arXiv metadata for papers never fetched or older than the stale age."""

    import asyncio

    from .harvest import harvest_with, listed_ids, stale_ids

    settings: Settings = ctx.obj
    stale_age = settings.arxiv_stale_after
    wanted = _parse_ids(ids or [])
    db = open_db(settings.db)
    now = utc_now()
    if not wanted:
        wanted = listed_ids(db)
        if not all_papers:
            wanted = stale_ids(db, wanted, now, stale_age)
    with _progress_on_stderr():
        summary = asyncio.run(harvest_with(db, settings.client_config(batch_size), wanted, now))
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

    from .query import search as run_search

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

    from .query import run_query

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
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="markdown: only these imported lists (default: every imported list)."),
    ] = None,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="What to write.")] = ExportFormat.BIBTEX,
    style: Annotated[ExportStyle | None, typer.Option("--style", help=STYLE_HELP)] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    output_dir: Annotated[
        Path | None, typer.Option("--output-dir", help="markdown: write one file per list into this folder.")
    ] = None,
) -> None:
    """Export the listed papers with their metadata. BibTeX pins each new paper's citation key in the database."""

    from .export import export as render
    from .export import markdown_exports

    settings: Settings = ctx.obj
    try:
        chosen = check_style(fmt, style)
    except InvalidStyle as error:
        raise typer.BadParameter(str(error), param_hint="--style") from None
    if fmt != ExportFormat.MARKDOWN and (paths or output_dir):
        raise typer.BadParameter("lists are chosen for --format markdown only", param_hint="PATH / --output-dir")
    if output and output_dir:
        raise typer.BadParameter("give one of them", param_hint="--output / --output-dir")
    if fmt != ExportFormat.MARKDOWN:
        connection = open_readonly(settings.db)  # refuses a missing or foreign file before anything is written
        if fmt == ExportFormat.BIBTEX:
            _pin_citation_keys(settings.db)
        _write_export(render(connection, fmt, chosen), output)
        return
    exported = markdown_exports(open_readonly(settings.db), chosen or ExportStyle.CURATOR, paths or [])
    for item in exported:
        if item.note:
            print_warning(stderr, item.note)
    if output_dir is not None:
        from .publish import write_markdown_files

        for target in write_markdown_files(exported, output_dir):
            print_plain(stderr, f"wrote {target}")
        return
    if chosen == ExportStyle.CURATOR and len(exported) > 1:
        raise InputError(
            f"{len(exported)} lists, each with its own layout: name one PATH, "
            "or write one file per list with --output-dir"
        )
    _write_export("\n".join(item.text for item in exported), output)


def _write_export(text: str, output: Path | None) -> None:
    if output:
        try:
            output.write_text(text, encoding="utf-8", newline="")  # line endings as the list writes them
        except OSError as error:
            raise InputError(f"cannot write {output}: {error.strerror}") from None
        print_plain(stderr, f"wrote {output}")
    else:
        sys.stdout.write(text)


def _pin_citation_keys(path: Path) -> None:
    """Pin the keys of papers exported for the first time; a database that cannot be written still exports."""
    from .bibtex import pin_citation_keys

    if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        print_warning(stderr, f"citation keys are not pinned: {path} cannot be written here")
        return
    # Busy, the export goes on: its keys are the ones the next export pins, unless the lists change meanwhile.
    try:
        with contextlib.closing(open_db(path)) as db:
            pin_citation_keys(db)
    except DatabaseBusy as error:
        print_warning(stderr, f"citation keys are not pinned: {error}")


@app.command()
@reports_errors
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on (loopback unless you mean it).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8001,
) -> None:
    """Open the dashboard: Datasette on the database, with a start page, a page per list and charts."""

    from .dashboard.launch import serve as serve_dashboard

    settings: Settings = ctx.obj
    open_readonly(settings.db).close()  # a missing or foreign file is one line here, not Datasette's traceback
    serve_dashboard(settings.db, host, port)


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

    from .findings import open_findings
    from .reconciling import run_reconcile
    from .report import fails_on, without_accepted

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
    suggestions: Annotated[
        bool, typer.Option("--suggestions", help="Show the open suggestions per section instead (`suggest`).")
    ] = False,
) -> None:
    """Open findings and link problems, grouped by list and section, with line numbers."""

    from .report import fails_on, report_rows, without_accepted

    settings: Settings = ctx.obj
    if suggestions:
        _report_suggestions(Database(open_readonly(settings.db)), fmt)
        return
    accepted = _accepted(settings)
    db = Database(open_readonly(settings.db))
    every_row = report_rows(db, include_info=include_info)
    findings = without_accepted(every_row, accepted)
    _say_hidden(len(every_row) - len(findings))
    _print_report(findings, fmt, settings.root)
    if fails_on(findings, fail_on):
        raise typer.Exit(EXIT_PROBLEMS)


def _print_report(findings: list[dict[str, Any]], fmt: ReportFormat, root: Path) -> None:
    from .report import print_findings_table, render_findings, with_relative_paths

    if fmt != ReportFormat.TABLE:
        sys.stdout.write(render_findings(findings, fmt, root))
    elif findings:
        print_findings_table(with_relative_paths(findings, root), stdout)
    else:
        stdout.print("No open findings.")


@app.command()
@reports_errors
def check(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Reading lists (files or folders of them) to check.")],
    fmt: Annotated[ReportFormat, typer.Option("--format", help="How to print the findings.")] = ReportFormat.TABLE,
    fail_on: Annotated[
        Severity | None,
        typer.Option("--fail-on", help="Exit 3 when these lists have findings of this severity or worse."),
    ] = Severity.ERROR,
) -> None:
    """Check lists offline against what the database holds: no network, the database untouched (pre-commit)."""

    from .check import check_lists
    from .importer import discover, read_source
    from .report import fails_on

    settings: Settings = ctx.obj
    sources = [read_source(path) for path in discover(paths)]
    accepted = _accepted(settings, [source.path for source in sources])
    if not settings.db.exists():
        print_warning(stderr, f"no database at {settings.db}: only what needs no arXiv data is checked")
    findings = check_lists(settings.db, sources, utc_now(), accepted)
    _print_report(findings, fmt, settings.root)
    if fails_on(findings, fail_on):
        raise typer.Exit(EXIT_PROBLEMS)


def _report_suggestions(db: Database, fmt: ReportFormat) -> None:
    from .suggest import render as suggestion_render
    from .suggest.store import suggestion_rows

    rows = suggestion_rows(db)
    if fmt == ReportFormat.JSON:
        sys.stdout.write(suggestion_render.as_json(rows) + "\n")
    elif fmt == ReportFormat.MARKDOWN:
        sys.stdout.write(suggestion_render.as_markdown(rows))
    elif rows:
        stdout.print(_table("suggested papers", suggestion_render.TABLE_COLUMNS, suggestion_render.table_rows(rows)))
    else:
        stdout.print("No open suggestions: `harvester suggest` looks for them.")


def _existing_db(path: Path) -> Database:
    """The database earlier commands wrote, opened for writing; never a new empty one."""
    require_database(path)
    return open_db(path)


def _arxiv_id(text: str, param_hint: str) -> str:
    """An arXiv ID given on the command line, canonical; a malformed one is a usage error naming the option."""
    try:
        return parse_arxiv_id(text).id
    except InvalidArxivId as error:
        raise typer.BadParameter(str(error), param_hint=param_hint) from None


@app.command()
@reports_errors
def fix(
    ctx: typer.Context,
    path: Annotated[Path | None, typer.Argument(help="Only this list (default: every imported list).")] = None,
    kinds: Annotated[
        list[str] | None,
        typer.Option("--kinds", help=f"Only these kinds, repeated or comma-separated: {', '.join(FIXABLE_KINDS)}."),
    ] = None,
    write: Annotated[bool, typer.Option("--write", help="Apply the edits (atomically, keeping a .bak).")] = False,
) -> None:
    """The safe corrections as a unified diff; with --write, applied to the markdown."""

    from .fix import plan_fixes, write_fixes

    settings: Settings = ctx.obj
    db = _existing_db(settings.db)
    wanted = {k.strip() for value in kinds or [] for k in value.split(",") if k.strip()} or None
    if kinds and wanted is None:
        raise typer.BadParameter("no kind given", param_hint="--kinds")
    plans = plan_fixes(db, path.resolve() if path else None, wanted)
    if not any(plan.edits for plan in plans):
        stderr.print("nothing to fix")
        return
    root = settings.root
    for plan in plans:
        sys.stdout.write(plan.diff(root))
        for skipped in plan.skipped:
            where = relative_to_root(plan.path, root)
            print_plain(stderr, f"skipped {where}:{skipped.line} {skipped.kind}: {skipped.reason}")
    if not write:
        return
    write_fixes(
        db,
        plans,
        utc_now(),
        lambda plan, backup: print_plain(
            stderr,
            f"wrote {relative_to_root(plan.path, root)} ({len(plan.edits)} edits; "
            f"backup {relative_to_root(backup, root) if backup else None})",
        ),
    )


# --- links ------------------------------------------------------------------------------


class LinkFailOn(StrEnum):
    DEAD = "dead"
    MOVED = "moved"  # moved or dead


LINK_FAIL_ON = {LinkFailOn.DEAD: {Verdict.DEAD}, LinkFailOn.MOVED: {Verdict.DEAD, Verdict.MOVED}}


AllowPrivate = Annotated[
    bool,
    typer.Option(
        "--allow-private",
        callback=sets("links.allow_private"),
        help="Also check loopback, private and link-local addresses.",
    ),
]
Exclude = Annotated[
    list[str] | None,
    typer.Option("--exclude", callback=sets("links.exclude"), help="Skip URLs matching this regular expression."),
]


@app.command()
@reports_errors
def links(
    ctx: typer.Context,
    all_links: Annotated[bool, typer.Option("--all", help="Check links still ok within --max-age too.")] = False,
    max_age: Annotated[
        str | None,
        typer.Option(
            "--max-age", callback=sets("links.max_age"), help="An ok link younger than this is not checked again."
        ),
    ] = None,
    exclude: Exclude = None,
    allow_private: AllowPrivate = False,
    fail_on: Annotated[
        LinkFailOn | None, typer.Option("--fail-on", help="Exit 3 when such links exist (moved includes dead).")
    ] = None,
    problems_only: Annotated[
        bool, typer.Option("--problems-only", help="Show only links whose verdict is not ok or skipped.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Check every link in the lists; record verdicts and their history."""

    import asyncio

    from .links.checker import check_links

    settings: Settings = ctx.obj
    config = settings.link_config()
    db = open_db(settings.db)
    with _progress_on_stderr():
        report = asyncio.run(check_links(db, config, all=all_links))
    ensure_db_shape(db)
    root = settings.root
    rows = [_link_row(result, root) for result in report.results]
    shown = [row for row in rows if row["verdict"] in PROBLEM_VERDICTS] if problems_only else rows
    if as_json:
        _print_json(
            {
                "network_down": report.network_down,
                "checked": report.checked,
                "not_due": report.not_due,
                "requests": report.requests_made,
                "counts": report.counts(),
                "links": shown,
            }
        )
    else:
        table = _table(
            f"{report.checked} links checked ({report.not_due} still fresh), {report.requests_made} requests",
            ["verdict", "status", "url", "final url / suggestion", "used at"],
            [
                [r["verdict"], r["status"], r["url"], r["suggestion"] or r["final_url"] or r["error"], r["used_at"]]
                for r in shown
            ],
        )
        # In a pipe a URL is data: whole on one line, never folded or cut to fit a width.
        print_table(stdout, table, unwrapped=not stdout.is_terminal)
    if report.network_down:
        print_error(stderr, "network down: no link could be reached; no failure was counted against any link")
        raise typer.Exit(EXIT_FAILED)
    if fail_on and any(r["verdict"] in LINK_FAIL_ON[fail_on] for r in rows):
        raise typer.Exit(EXIT_PROBLEMS)


def _link_row(result: Any, root: Path) -> dict[str, Any]:
    return {
        "url": result.url,
        "verdict": result.verdict.value,
        "status": result.status,
        "final_url": result.final_url,
        "suggestion": result.suggestion,
        "error": result.error,
        "note": result.note,
        "hops": [hop.as_dict() for hop in result.hops],
        "used_at": ", ".join(f"{_list_where(e, root)}:{e.line}" for e in result.entries),
        "entries": [{"list": _list_where(e, root), "line": e.line, "section": e.section} for e in result.entries],
    }


def _list_where(entry: Any, root: Path) -> str:
    return relative_to_root(entry.list_path, root) if entry.list_path else str(entry.list_name)


# --- enrich ---------------------------------------------------------------------------


@app.command()
@reports_errors
def enrich(
    ctx: typer.Context,
    source: Annotated[
        list[str] | None,
        typer.Option(
            "--source",
            callback=sets("enrich.sources"),
            help=f"Only this source (repeatable): {' or '.join(SOURCES)}.",
        ),
    ] = None,
    all_papers: Annotated[
        bool, typer.Option("--all", help="Ask again even when the last answer is younger than the age.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Published venue, DOI, citations and official code from Semantic Scholar and Hugging Face."""

    from .enrich.run import run_enrich

    settings: Settings = ctx.obj
    db = open_db(settings.db)
    with _progress_on_stderr():
        summary = run_enrich(db, settings.enrich_config(), all=all_papers, now=utc_now())
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


# --- suggest ---------------------------------------------------------------------------


@app.command("suggest")
@reports_errors
def suggest_command(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Only these lists, files or folders (default: every imported list).")
    ] = None,
    section: Annotated[
        str | None,
        typer.Option("--section", help="Only sections whose heading contains this; with --add, the section to add to."),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Search arXiv from this date (YYYY-MM-DD), not the newest entry's.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Suggestions shown per section.")] = 10,
    reject: Annotated[
        str | None, typer.Option("--reject", help="Remember a no: this arXiv paper is never suggested again.")
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (with --reject).")] = None,
    add: Annotated[
        str | None,
        typer.Option("--add", help="Add this arXiv paper at the end of --section, in its style (a diff; see --write)."),
    ] = None,
    write: Annotated[bool, typer.Option("--write", help="With --add: apply it (atomically, keeping a .bak).")] = False,
    cells: Annotated[
        list[str] | None,
        typer.Option("--cell", help="With --add: a table column harvester cannot fill, as COLUMN=VALUE (repeatable)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Papers each section of 3+ papers is missing, from Semantic Scholar and arXiv, with the evidence.

    With --add, one paper is added to a list at the end of a section, written in that section's own style.
    """

    from . import suggest as suggesting
    from .suggest import render as suggestion_render

    settings: Settings = ctx.obj
    if add is not None:
        if paths and len(paths) > 1:
            raise typer.BadParameter("--add writes to one list: give one PATH", param_hint="PATH")
        _add_paper(settings, paths[0] if paths else None, add, section, write, _cell_values(cells or []))
        return
    if write or cells:
        raise typer.BadParameter("--write and --cell go with --add", param_hint="--write / --cell")
    if reject is not None:
        _reject_suggestion(settings, reject, reason, as_json)
        return
    if reason is not None:
        raise typer.BadParameter("--reason goes with --reject", param_hint="--reason")
    try:
        start = suggesting.parse_since(since) if since is not None else None
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--since") from None
    db = _existing_db(settings.db)
    list_ids = suggesting.list_ids_of(db, paths) if paths else None
    config = settings.suggest_config(since=start)
    summary = suggesting.run_suggest(db, config, list_ids=list_ids, section=section, now=utc_now())
    ensure_db_shape(db)
    rows = suggesting.suggestion_rows(db, list_ids=list_ids, section=section, limit=limit)
    print_plain(stderr, suggestion_render.summary_line(summary.as_dict()))
    if as_json:
        _print_json({"summary": summary.as_dict(), "suggestions": [suggestion_render.as_dict(r) for r in rows]})
    elif rows:
        stdout.print(_table("suggested papers", suggestion_render.TABLE_COLUMNS, suggestion_render.table_rows(rows)))
    else:
        stdout.print(f"No suggestions ({summary.sections} sections of {suggesting.MIN_SECTION_PAPERS}+ papers).")
    if summary.partial:
        print_warning(stderr, f"{summary.error}; earlier suggestions are kept", label="partial")
        raise typer.Exit(EXIT_FAILED)


def _reject_suggestion(settings: Settings, text: str, reason: str | None, as_json: bool) -> None:
    from .suggest.store import reject

    arxiv_id = _arxiv_id(text, "--reject")
    db = _existing_db(settings.db)
    closed = reject(db, arxiv_id, reason, utc_now())
    if as_json:
        _print_json({"rejected": arxiv_id, "reason": reason, "suggestions_closed": closed})
    else:
        print_plain(stdout, f"{arxiv_id} will not be suggested again; open suggestions closed: {closed}.")


def _cell_values(values: list[str]) -> dict[str, str]:
    cells = {}
    for value in values:
        column, equals, text = value.partition("=")
        if not equals or not column.strip():
            raise typer.BadParameter(f"{value!r} is not COLUMN=VALUE", param_hint="--cell")
        cells[column.strip()] = text.strip()
    return cells


def _add_paper(
    settings: Settings, path: Path | None, arxiv_id: str, section: str | None, write: bool, cells: dict[str, str]
) -> None:
    import asyncio

    from .addpaper import AddError, plan_add, write_add
    from .harvest import harvest_with

    wanted = _arxiv_id(arxiv_id, "--add")
    db = _existing_db(settings.db)

    def fetch(paper: str) -> None:
        with _progress_on_stderr():
            summary = asyncio.run(harvest_with(db, settings.client_config(), [paper], utc_now()))
        ensure_db_shape(db)
        if summary.failed:
            raise AddError(summary.failed)

    plan = plan_add(db, path, wanted, section, fetch, cells)
    sys.stdout.write(plan.diff())
    if write:
        backup = write_add(db, plan, utc_now())
        print_plain(stderr, f"wrote {plan.fix.path} (1 entry added at line {plan.line}; backup {backup})")


# --- refresh and status ---------------------------------------------------------------------


@app.command()
@reports_errors
def refresh(
    ctx: typer.Context,
    paths: ListsArgument = None,
    stale_after: StaleAfter = None,
    no_links: Annotated[
        bool, typer.Option("--no-links", callback=sets("steps.links", False), help="Skip the link check.")
    ] = False,
    no_enrich: Annotated[
        bool,
        typer.Option(
            "--no-enrich", callback=sets("steps.enrich", False), help="Skip Semantic Scholar and Hugging Face."
        ),
    ] = False,
    exclude: Exclude = None,
    allow_private: AllowPrivate = False,
    with_suggest: Annotated[
        bool,
        typer.Option(
            "--suggest",
            callback=sets("steps.suggest", True),
            help="Also suggest new papers per section (off by default; the setting steps.suggest).",
        ),
    ] = False,
    fail_on_steps: Annotated[
        str | None,
        typer.Option(
            "--fail-on-steps",
            callback=sets("fail_on_steps"),
            help="Steps whose failure fails the run, comma-separated "
            f"(default: all but {' and '.join(ADVISORY_STEPS)}).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The nightly job: import, fetch, enrich, reconcile and check links (and suggest, when asked), under a lock."""

    from .refresh import RefreshOptions, dumps, run_refresh, summary_lines, unfinished_steps

    settings: Settings = ctx.obj
    lists = _lists(settings)
    accepted = _accepted(settings, _refreshed_lists(lists))
    options = RefreshOptions(
        db_path=settings.db,
        paths=tuple(lists),
        arxiv=settings.client_config(),
        stale_after=settings.arxiv_stale_after,
        links=settings.link_config() if settings.steps_links else None,
        enrich=settings.enrich_config() if settings.steps_enrich else None,
        accepted=accepted,
        suggest=settings.suggest_config() if settings.steps_suggest else None,
    )
    with _progress_on_stderr():
        report = run_refresh(options, progress=lambda text: print_plain(stderr, text))
    if as_json:
        typer.echo(dumps(report))
    else:
        for line in summary_lines(report):
            print_plain(stdout, line)
    failing, advisory = unfinished_steps(report, settings.fail_on_steps)
    for name in advisory:
        step = report.steps[name]
        print_warning(stderr, f"{step.status} (advisory; not failing the run): {step.error}", label=name)
    if failing:
        for name in failing:
            print_error(stderr, f"{name}: {report.steps[name].error}")
        raise typer.Exit(EXIT_FAILED)


@app.command()
@reports_errors
def status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Last runs, what the database holds, what is stale, what failed."""

    from .status import collect_status

    settings: Settings = ctx.obj
    require_database(settings.db)
    state = collect_status(settings.db, accepted=_accepted(settings))
    state["database"] = relative_to_root(state["database"], settings.root)
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
    from .importer import discover

    try:
        return discover(paths)
    except InputError:
        return []  # refresh reports a missing list itself, as its import step failing


# --- accept, unaccept -------------------------------------------------------------------


def _accepted(settings: Settings, list_paths: list[Path] | None = None) -> Any:
    """The acceptance file's contents, read (and checked) before anything is written."""
    from .acceptances import load, locate

    lists = list_paths if list_paths is not None else _imported_lists(settings.db)
    return load(locate(settings.accept_file, lists, settings.root))


def _imported_lists(db_path: Path) -> list[Path]:
    if not db_path.exists():
        return []
    try:
        return [Path(row[0]) for row in open_readonly(db_path).execute("SELECT path FROM lists").fetchall()]
    except sqlite3.OperationalError:  # no list imported yet
        return []


def _mirror(db: Any, accepted: Any) -> None:
    from .acceptances import mirror

    mirror(db, accepted)


def _say_hidden(count: int) -> None:
    if count:
        plural = "s" if count != 1 else ""
        stderr.print(f"{count} accepted finding{plural} hidden (`harvester accept --list` shows them)", highlight=False)


def _all_open_rows(settings: Settings) -> list[dict[str, Any]]:
    from .report import report_rows

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

    from .acceptances import AcceptanceSet, checked_reason, mirror, write_file
    from .acceptances import accept as with_accepted

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
    require_database(settings.db)
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

    from .acceptances import AcceptanceSet, mirror, write_file
    from .acceptances import unaccept as without_key

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


# --- settings: init, config -----------------------------------------------------------------


@app.command()
@reports_errors
def init(ctx: typer.Context) -> None:
    """Write a commented starter harvester.toml in the current folder (never over an existing one)."""

    target = Path.cwd() / FILE_NAME
    try:
        with target.open("x", encoding="utf-8") as handle:  # "x": refuses a file that exists, atomically
            handle.write(starter_file())
    except FileExistsError:
        raise HarvesterError(f"{target} exists; nothing was written") from None
    except OSError as error:
        raise HarvesterError(f"cannot write {target}: {error.strerror}") from None
    print_plain(stdout, f"wrote {target}: uncomment what you change; `harvester config` shows the result")


@app.command("config")
@reports_errors
def config_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every setting's value and where it came from (default, the file, a variable, a flag)."""

    settings: Settings = ctx.obj
    rows = describe(settings)
    if as_json:
        _print_json(
            {"file": str(settings.file) if settings.file else None, "root": str(settings.root), "settings": rows}
        )
        return
    title = f"settings ({settings.file or 'no config file'}; lists' root {settings.root})"
    stdout.print(_table(title, ["setting", "value", "from"], [[r["setting"], r["value"], r["from"]] for r in rows]))
