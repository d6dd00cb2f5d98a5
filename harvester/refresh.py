"""The nightly job: import, then fetch and enrich, then reconcile (then suggest, when asked), with links beside.

Steps that talk to different hosts overlap in the run's one event loop: once
the lists are imported, arXiv (fetch) and the enrichment services (Semantic
Scholar and Hugging Face, side by side; they need only the listed IDs) are
asked at once, reconciliation follows when both are done (it reads what they
stored and nothing of the links), and the link check (one limiter per link
host) runs beside all of it, judging links to arXiv once the papers are in.
Each service keeps its own spacing, so the run takes about as long as its
slowest service needs. The steps share one SQLite connection on one thread,
and every write transaction is opened and committed without an await inside
it, so the lanes' writes never mix. Each step's row in the run log carries its
own status, counts and times (started, ended, seconds).

A step that fails (arXiv down, network down, a bad list, or any unexpected
exception) is recorded with its error and the later steps still run; the run
is then `partial`. A list that cannot be read or parsed is reported by name and
the other lists still import. Should the run itself crash between steps, its
`runs` row is closed as `failed` with the message, never left `running`. Each step
commits as it goes, so a run killed at any point keeps what it finished and
the next run picks up the rest.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from .acceptances import AcceptanceSet, mirror
from .arxiv.config import DEFAULT_STALE_AFTER, ClientConfig
from .enrich import enrich
from .enrich.run import listed_to_enrich
from .errors import DatabaseError
from .harvest import harvest_with, listed_ids, stale_ids
from .importer import discover, import_list, read_source
from .links import check_links
from .reconciling import run_reconcile
from .runlog import (
    describe_crash,
    exclusive_lock,
    finish_run,
    logged_run,
    record_refused,
    record_step,
    trim_refused,
)
from .store import ensure_db_shape, open_db
from .suggest import suggest
from .timeutil import iso, utc_now
from .vocabulary import RunStatus, Step, StepStatus, Verdict

Progress = Callable[[str], None]


@dataclass(frozen=True)
class RefreshOptions:
    db_path: Path
    paths: tuple[Path, ...] = ()  # the reading lists (files or folders); the settings' `lists`
    arxiv: ClientConfig = field(default_factory=ClientConfig)
    stale_after: timedelta = DEFAULT_STALE_AFTER
    links: Any = None  # links.LinkCheckConfig; None skips the link check
    enrich: Any = None  # enrich.EnrichConfig; None skips enrichment
    accepted: AcceptanceSet | None = None  # the acceptance file, mirrored into the database under the lock
    suggest: Any = None  # suggest.SuggestConfig; None (the default) skips suggesting new papers


@dataclass
class StepResult:
    status: StepStatus = StepStatus.OK
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    started_at: str | None = None  # ISO time the step began
    ended_at: str | None = None
    seconds: float | None = None  # its own wall time (steps in other lanes ran meanwhile)

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "counts": self.counts,
            "error": self.error,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "seconds": self.seconds,
        }


@dataclass
class RefreshReport:
    run_id: int
    status: RunStatus
    steps: dict[str, StepResult]
    changes: dict[str, Any]

    @property
    def errors(self) -> list[str]:
        return [f"{name}: {step.error}" for name, step in self.steps.items() if step.error]

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "changes": self.changes,
            "steps": {name: step.as_dict() for name, step in self.steps.items()},
            "errors": self.errors,
        }


def run_refresh(options: RefreshOptions, progress: Progress = lambda _: None) -> RefreshReport:
    """Run every step once; raises runlog.AlreadyRunning when another refresh holds the lock."""
    with exclusive_lock(options.db_path):
        trim_refused(options.db_path)
        db = _open_for_writing(options.db_path)
        try:
            now = utc_now()
            with logged_run(db, "refresh", now) as run_id:
                # One event loop for the whole run: every step's clients live inside it.
                return asyncio.run(_run_steps(db, run_id, options, now, progress))
        finally:
            db.close()


def _open_for_writing(db_path: Path) -> Database:
    """The database, or a refusal noted beside it when another writer keeps it locked."""
    db: Database | None = None
    try:
        db = open_db(db_path)
        db.execute("BEGIN IMMEDIATE")  # waits (busy timeout) for any other writer, then gives up
        db.execute("ROLLBACK")
        return db
    except (sqlite3.OperationalError, DatabaseError) as error:
        if db is not None:
            db.close()
        if "locked" not in str(error) and "busy" not in str(error):
            raise
        message = f"database {db_path} is locked by another writer; the refresh did not start ({error})"
        record_refused(db_path, message)
        raise DatabaseError(message) from None


async def _run_steps(
    db: Database, run_id: int, options: RefreshOptions, now: datetime, progress: Progress
) -> RefreshReport:
    steps: dict[str, StepResult] = {}
    before = _link_verdicts(db)

    papers_fetched = asyncio.Event()  # arXiv links are judged from the harvested papers

    async def lane(names: Lane) -> None:
        try:
            for name, step in names:
                progress(f"{name} ...")
                steps[name] = await _timed(step, db, options, now, steps, progress)
                record_step(db, run_id, name, steps[name].as_dict())
                if name == Step.FETCH:
                    papers_fetched.set()
        finally:
            if any(name == Step.FETCH for name, _ in names):
                papers_fetched.set()  # also when the lane broke off: links judge from what is stored

    plan = _plan(options, papers_fetched.wait)
    await lane(plan.first)

    async def papers() -> None:
        await asyncio.gather(*(lane(names) for names in plan.together))
        await lane(plan.then)

    await asyncio.gather(papers(), *(lane(names) for names in plan.beside))
    steps = {name: steps[name] for name in _STEP_ORDER if name in steps}  # the log's order, not the finishing one
    if options.accepted is not None:
        mirror(db, options.accepted)
    ensure_db_shape(db)
    status = _overall(steps)
    report = RefreshReport(run_id, status, steps, _changes(steps, before, _link_verdicts(db)))
    finish_run(db, run_id, status, report.errors, utc_now())
    return report


StepFunction = Callable[[Database, RefreshOptions, datetime, dict[str, StepResult], Progress], Awaitable[StepResult]]


Lane = list[tuple[str, StepFunction]]
_STEP_ORDER = tuple(Step)


@dataclass(frozen=True)
class _Plan:
    """Which steps wait for which: `first` alone; then `together` side by side, then `then`; `beside` all along."""

    first: Lane
    together: list[Lane]
    then: Lane
    beside: list[Lane]


def _plan(options: RefreshOptions, papers_ready: Callable[[], Awaitable[object]]) -> _Plan:
    """Import first: every other step reads the lists. Then arXiv and the enrichment services at once
    (they need only the listed IDs), reconciliation when both are done (it reads what they stored), and
    the link check beside all of it (its links to arXiv wait for the papers)."""
    together: list[Lane] = [[(Step.FETCH, _fetch_step)]]
    if options.enrich is not None:
        together.append([(Step.ENRICH, _enrich_step)])
    beside: list[Lane] = []
    if options.links is not None:
        beside.append([(Step.LINKS, partial(_links_step, papers_ready=papers_ready))])
    then: Lane = [(Step.RECONCILE, _reconcile_step)]
    # Suggest last: it reads the papers just fetched and asks arXiv and Semantic Scholar once fetch and enrich are done.
    if options.suggest is not None:
        then.append((Step.SUGGEST, _suggest_step))
    return _Plan([(Step.IMPORT, _import_step)], together, then, beside)


async def _timed(
    step: StepFunction,
    db: Database,
    options: RefreshOptions,
    now: datetime,
    done: dict[str, StepResult],
    progress: Progress,
) -> StepResult:
    started, clock = utc_now(), time.perf_counter()
    result = await _guarded(step, db, options, now, done, progress)
    result.started_at, result.ended_at = iso(started), iso(utc_now())
    result.seconds = round(time.perf_counter() - clock, 3)
    return result


async def _guarded(
    step: StepFunction,
    db: Database,
    options: RefreshOptions,
    now: datetime,
    done: dict[str, StepResult],
    progress: Progress,
) -> StepResult:
    try:
        return await step(db, options, now, done, progress)
    except Exception as error:  # noqa: BLE001 - one broken step must not stop the others
        _end_open_transaction(db)
        return StepResult(status=StepStatus.FAILED, error=describe_crash(error))


def _end_open_transaction(db: Database) -> None:
    """A step that crashed mid-write leaves its half undone, not half committed by the next step."""
    if db.conn.in_transaction:
        db.conn.rollback()


def _overall(steps: dict[str, StepResult]) -> RunStatus:
    statuses = {step.status for step in steps.values()}
    if statuses <= {StepStatus.OK, StepStatus.SKIPPED}:
        return RunStatus.OK
    return RunStatus.FAILED if statuses == {StepStatus.FAILED} else RunStatus.PARTIAL


# --- the steps --------------------------------------------------------------------------


async def _import_step(
    db: Database, options: RefreshOptions, now: datetime, _done: dict[str, StepResult], _progress: Progress
) -> StepResult:
    result = StepResult()
    errors = []
    counts = {"lists": 0, "changed": 0, "added": 0, "updated": 0, "removed": 0}
    for path in discover(list(options.paths)):
        try:
            imported = import_list(db, read_source(path), now)
        except Exception as error:  # noqa: BLE001 - one bad list must not keep the others out
            _end_open_transaction(db)
            errors.append(_list_error(path, error))
            continue
        counts["lists"] += 1
        counts["changed"] += imported.status != "unchanged"
        for key in ("added", "updated", "removed"):
            counts[key] += getattr(imported, key)
    result.counts = counts
    if errors:
        result.status = StepStatus.PARTIAL if counts["lists"] else StepStatus.FAILED
        result.error = "; ".join(errors)
    return result


def _list_error(path: Path, error: Exception) -> str:
    message = describe_crash(error)
    return message if str(path) in message else f"{path}: {message}"


async def _fetch_step(
    db: Database, options: RefreshOptions, now: datetime, _done: dict[str, StepResult], _progress: Progress
) -> StepResult:
    ids = stale_ids(db, listed_ids(db), now, options.stale_after)
    summary = await harvest_with(db, options.arxiv, ids, now)
    counts = summary.as_dict()
    counts["missing"] = len(summary.missing)
    counts["invalid"] = len(summary.invalid)
    if summary.failed:
        return StepResult(status=StepStatus.FAILED, counts=counts, error=summary.failed)
    if summary.versions_warning:
        return StepResult(status=StepStatus.PARTIAL, counts=counts, error=summary.versions_warning)
    return StepResult(counts=counts)


async def _enrich_step(
    db: Database, options: RefreshOptions, now: datetime, _done: dict[str, StepResult], _progress: Progress
) -> StepResult:
    summary = await enrich(db, options.enrich, now=now, ids=listed_to_enrich(db))
    counts = summary.as_dict()
    partial = bool(counts.get("partial"))
    return StepResult(
        status=StepStatus.PARTIAL if partial else StepStatus.OK,
        counts=counts,
        error=counts.get("error") if partial else None,
    )


async def _reconcile_step(
    db: Database, options: RefreshOptions, now: datetime, done: dict[str, StepResult], _progress: Progress
) -> StepResult:
    if not _changed_this_run(done) and not _inputs_changed(db):
        return StepResult(status=StepStatus.SKIPPED, counts={"reason": "nothing changed since the last reconcile"})
    return StepResult(counts=run_reconcile(db, now=now).as_dict())


def _changed_this_run(done: Mapping[str, StepResult]) -> bool:
    """Whether this run's own steps wrote anything reconciliation reads, from their counts (exact, unlike
    second-resolution timestamps): a list changed, a batch or earlier versions stored, an enrichment answer."""
    imported, fetched, enriched = (done.get(step) for step in (Step.IMPORT, Step.FETCH, Step.ENRICH))
    return bool(
        (imported is not None and imported.counts.get("changed"))
        or (fetched is not None and (fetched.counts.get("batches") or fetched.counts.get("versions_added")))
        or (enriched is not None and enriched.counts.get("requests_made"))
    )


def _inputs_changed(db: Database) -> bool:
    """Whether anything reconciliation reads changed since it last ran.

    Reconciling unchanged inputs would only touch timestamps, so it is skipped;
    comparing with the last reconcile (not with this run's steps) also covers a
    run that was killed between fetching and reconciling. Timestamps are whole
    seconds, so this run's own writes are read from its steps (`_changed_this_run`):
    an edit made in the very second of the last reconcile is still seen.
    """
    last = db.execute("SELECT max(ran_at) FROM reconcile_runs").fetchone()[0]
    if last is None:
        return True
    probes = [
        "SELECT 1 FROM lists WHERE imported_at > :last",
        "SELECT 1 FROM entries WHERE removed_at > :last",
        "SELECT 1 FROM papers WHERE last_fetched > :last",
        "SELECT 1 FROM paper_versions WHERE seen_at > :last",
        "SELECT 1 FROM missing_papers WHERE last_checked > :last",
    ]
    if db.table("enrichments").exists():
        probes.append("SELECT 1 FROM enrichments WHERE fetched_at > :last")
    return any(db.execute(sql + " LIMIT 1", {"last": last}).fetchone() for sql in probes)


async def _links_step(
    db: Database,
    options: RefreshOptions,
    now: datetime,
    _done: dict[str, StepResult],
    _progress: Progress,
    *,
    papers_ready: Callable[[], Awaitable[object]] | None = None,
) -> StepResult:
    config = replace(options.links, fresh_verdicts=tuple(v.value for v in Verdict if v is not Verdict.SKIPPED))
    report = await check_links(db, config, papers_ready=papers_ready)
    counts = {"checked": report.checked, "not_due": report.not_due, "requests": report.requests_made, **report.counts()}
    if report.network_down:
        return StepResult(
            status=StepStatus.FAILED,
            counts=counts,
            error="network down: no link could be reached; no failure was counted against any link",
        )
    return StepResult(counts=counts)


async def _suggest_step(
    db: Database, options: RefreshOptions, now: datetime, _done: dict[str, StepResult], _progress: Progress
) -> StepResult:
    summary = await suggest(db, options.suggest, now=now)
    status = StepStatus.PARTIAL if summary.partial else StepStatus.OK
    return StepResult(status=status, counts=summary.as_dict(), error=summary.error if summary.partial else None)


# --- what changed -------------------------------------------------------------------------


def _link_verdicts(db: Database) -> dict[str, str]:
    if not db.table("links").exists():
        return {}
    return {row["url"]: row["verdict"] for row in db.query("SELECT url, verdict FROM links")}


def _changes(steps: dict[str, StepResult], before: dict[str, str], after: dict[str, str]) -> dict[str, Any]:
    fetch = steps.get("fetch", StepResult()).counts
    reconcile = steps.get("reconcile", StepResult()).counts
    imported = steps.get("import", StepResult()).counts
    turned = {url: verdict for url, verdict in after.items() if before.get(url) != verdict}
    return {
        "entries_added": imported.get("added", 0),
        "entries_updated": imported.get("updated", 0),
        "entries_removed": imported.get("removed", 0),
        "new_papers": fetch.get("new_papers", 0),
        "new_versions": fetch.get("new_versions", 0),
        "missing_papers": fetch.get("missing", 0),
        "new_findings": reconcile.get("new", 0) + reconcile.get("reopened", 0),
        "resolved_findings": reconcile.get("resolved", 0),
        "links_died": sorted(url for url, verdict in turned.items() if verdict == "dead"),
        "links_moved": sorted(url for url, verdict in turned.items() if verdict == "moved"),
    }


def unfinished_steps(report: RefreshReport, fail_on: Collection[str]) -> tuple[list[str], list[str]]:
    """The steps that did not finish ok: those that fail the run, and the advisory rest.

    The run's recorded status stays what happened (`partial`); only the exit code
    listens to `fail_on`, so an optional service that throttles cannot turn CI red.
    """
    unfinished = [name for name, step in report.steps.items() if step.status in (StepStatus.PARTIAL, StepStatus.FAILED)]
    return [n for n in unfinished if n in fail_on], [n for n in unfinished if n not in fail_on]


def summary_lines(report: RefreshReport) -> list[str]:
    """The cron log's morning read: what changed since the last run, then each step."""
    c = report.changes
    lines = [
        f"refresh {report.status} (run {report.run_id})",
        f"  entries: {c['entries_added']} added, {c['entries_updated']} edited, {c['entries_removed']} removed",
        f"  papers: {c['new_papers']} new, {c['new_versions']} new versions, {c['missing_papers']} missing on arXiv",
        f"  findings: {c['new_findings']} new, {c['resolved_findings']} resolved",
        f"  links: {len(c['links_died'])} died, {len(c['links_moved'])} moved",
    ]
    lines += [f"    died: {url}" for url in c["links_died"]]
    lines += [f"    moved: {url}" for url in c["links_moved"]]
    for name, step in report.steps.items():
        detail = ", ".join(
            f"{k} {v}" for k, v in step.counts.items() if isinstance(v, int | float) and not isinstance(v, bool)
        )
        lines.append(
            f"  step {name}: {step.status}"
            + (f" ({detail})" if detail else "")
            + (f" - {step.error}" if step.error else "")
        )
    return lines


def dumps(report: RefreshReport) -> str:
    return json.dumps(report.as_dict(), ensure_ascii=False, indent=2, default=str)
