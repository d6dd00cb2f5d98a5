"""The Datasette plugin (registered through the `datasette` entry point): metadata, cell links, the pages.

Datasette loads it whenever it runs in this environment, so `harvester serve` and a
plain `datasette any-name.db` show the same dashboard. Databases that harvester did
not make are left as Datasette shows them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import quote, unquote

from datasette import hookimpl as _hookimpl
from datasette.utils.asgi import NotFound, Request, Response
from datasette.views.index import IndexView
from markupsafe import Markup

from ..report import action_text
from ..vocabulary import Severity
from . import cells, data
from .charts import stacked_bars_svg
from .metadata import DESCRIPTION_HTML, TITLE, metadata_for

F = TypeVar("F", bound=Callable[..., Any])
hookimpl = cast(Callable[[F], F], _hookimpl)

# Whether the file at a path is a harvester database, so the metadata hook (called for
# every lookup) opens each file once: path -> (modification time, answer).
_identified: dict[str, tuple[float, bool]] = {}


def _is_harvester_file(path: str | None) -> bool:
    if not path:
        return False
    try:
        mtime = Path(path).stat().st_mtime
    except OSError:
        return False
    known = _identified.get(path)
    if known is None or known[0] != mtime:
        try:
            conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
            try:
                answer = data.is_harvester_db(conn)
            finally:
                conn.close()
        except sqlite3.DatabaseError:
            answer = False
        known = _identified[path] = (mtime, answer)
    return known[1]


def harvester_databases(datasette: Any) -> list[str]:
    return [name for name, db in datasette.databases.items() if _is_harvester_file(getattr(db, "path", None))]


@hookimpl
def get_metadata(datasette: Any, key: Any, database: Any, table: Any) -> dict[str, Any]:
    return metadata_for(harvester_databases(datasette))


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: Any, database: str, datasette: Any) -> Markup | None:
    if database not in harvester_databases(datasette):
        return None
    html = cells.cell_html(column, value, row, datasette.urls.database(database))
    return Markup(html) if html is not None else None


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Callable[..., Any]]]:
    return [
        (r"^/$", start_page),
        (r"^/(?P<database>[^/]+)/-/list/(?P<list_id>\d+)$", list_page),
        (r"^/(?P<database>[^/]+)/-/at/(?P<list>[^/]+)/(?P<line>\d+)$", place),
    ]


def _template(datasette: Any, name: str) -> Any:
    # Compiled from the package's files rather than put on Datasette's template path, so
    # they never replace a template of Datasette's own or of another plugin.
    folder = resources.files("harvester.dashboard") / "templates"
    text = (folder / name).read_text(encoding="utf-8")
    style = (folder / "_style.html").read_text(encoding="utf-8")
    return datasette.jinja_env.from_string(text.replace(STYLE_INCLUDE, style))


STYLE_INCLUDE = '{% include "_style.html" %}'


def _chart(caption: str, svg: str) -> dict[str, Any]:
    return {"caption": caption, "svg": Markup(svg)}


async def _database(datasette: Any, request: Any) -> Any:
    """The harvester database the URL names, if the visitor may see it (as Datasette's own pages check)."""
    route = request.url_vars["database"]
    try:
        db = datasette.get_database(route=route)
    except KeyError:
        raise NotFound(f"no database {route}") from None
    if db.name not in harvester_databases(datasette):
        raise NotFound(f"{db.name} is not a harvester database")
    await datasette.ensure_permissions(request.actor, [("view-database", db.name), "view-instance"])
    return db


async def start_page(datasette: Any, request: Any) -> Response:
    await datasette.ensure_permissions(request.actor, ["view-instance"])
    visible = [
        name
        for name in datasette.databases
        if name != "_internal"
        and await datasette.permission_allowed(request.actor, "view-database", name, default=True)
    ]
    ours = [n for n in harvester_databases(datasette) if n in visible]
    if not ours:  # Datasette opened on other files only: its own index, as without this plugin
        index_request = Request(dict(request.scope, url_route={"kwargs": {"format": None}}), request.receive)
        return cast(Response, await IndexView.as_view(datasette)(index_request, None))
    databases = []
    for name in ours:
        db = datasette.get_database(name)
        url = datasette.urls.database(name)

        def read(conn: sqlite3.Connection) -> tuple[Any, ...]:
            return (
                data.list_health(conn),
                data.last_run(conn),
                stacked_bars_svg(data.findings_over_runs(conn)),
                stacked_bars_svg(data.link_verdicts_over_runs(conn)),
            )

        health, last_run, findings_svg, links_svg = await db.execute_fn(read)
        databases.append(
            {
                "name": name,
                "url": url,
                "last_run": last_run,
                "lists": [{"health": h, "url": cells.list_url(url, h.id)} for h in health],
                "charts": [
                    _chart("Open findings by kind, after each refresh", findings_svg),
                    _chart("Links by verdict (each link's latest check), after each refresh", links_svg),
                ],
                "browse": [
                    (table, datasette.urls.table(name, table))
                    for table in ("reading_list", "open_findings", "link_problems", "recent_changes")
                ]
                + [("all tables", url)],
            }
        )
    others = [(name, datasette.urls.database(name)) for name in visible if name not in harvester_databases(datasette)]
    html = await datasette.render_template(
        _template(datasette, "harvester_start.html"),
        {
            "title": TITLE,
            "description_html": Markup(DESCRIPTION_HTML),
            "severities": [s.value for s in Severity],
            "harvester_databases": databases,
            "other_databases": others,
        },
        request=request,
    )
    return Response.html(html)


async def list_page(datasette: Any, request: Any) -> Response:
    db = await _database(datasette, request)
    list_id = int(request.url_vars["list_id"])
    url = datasette.urls.database(db.name)

    def read(conn: sqlite3.Connection) -> tuple[Any, ...]:
        health = data.list_health(conn, list_id)
        if not health:
            return None, [], "", ""
        return (
            health[0],
            data.findings_by_section(conn, list_id),
            stacked_bars_svg(data.papers_per_year(conn, list_id)),
            stacked_bars_svg(data.findings_over_runs(conn, list_id)),
        )

    health, sections, years_svg, findings_svg = await db.execute_fn(read)
    if health is None:
        raise NotFound(f"no list {list_id} in {db.name}")
    groups = [
        {
            "section": group.section,
            "findings": [_finding_view(finding, url, list_id) for finding in group.findings],
            "suggestions": [
                {**s, "arxiv_html": Markup(cells.arxiv_link(str(s.get("arxiv_id") or "")) or "")}
                for s in group.suggestions
            ],
        }
        for group in sections
    ]
    html = await datasette.render_template(
        _template(datasette, "harvester_list.html"),
        {
            "health": health,
            "database": db.name,
            "database_url": url,
            "home_url": datasette.urls.instance(),
            "severities": [s.value for s in Severity],
            "sections": groups,
            "charts": [
                _chart("Papers per year (arXiv v1) by section", years_svg),
                _chart("Open findings of this list by kind, after each refresh", findings_svg),
            ],
            "reading_list_url": datasette.urls.table(db.name, "reading_list") + f"?list={_q(health.name)}",
            "findings_url": datasette.urls.table(db.name, "open_findings") + f"?list={_q(health.name)}",
        },
        request=request,
    )
    return Response.html(html)


def _q(text: str) -> str:
    return quote(text, safe="")


def _finding_view(finding: dict[str, Any], database_url: str, list_id: int) -> dict[str, Any]:
    suggestion = finding.get("suggestion")
    suggestion_html = cells.url_link(suggestion) if isinstance(suggestion, str) else None
    arxiv_id = finding.get("arxiv_id")
    return {
        **finding,
        "action": action_text(finding),
        "line_html": Markup(cells.link(cells.place_url(database_url, list_id, finding["line"]), str(finding["line"]))),
        "arxiv_html": Markup(cells.arxiv_link(arxiv_id) or "") if isinstance(arxiv_id, str) else "",
        "suggestion_html": Markup(suggestion_html) if suggestion_html else (suggestion or ""),
    }


async def place(datasette: Any, request: Any) -> Response:
    """A `list:line` link: the entry at that line, else the list's page."""
    db = await _database(datasette, request)
    # Datasette matches routes on the raw path: the list's name arrives percent-encoded.
    list_ref, line = unquote(request.url_vars["list"]), int(request.url_vars["line"])
    list_id, entry_id = await db.execute_fn(lambda conn: data.entry_at(conn, list_ref, line))
    if list_id is None:
        raise NotFound(f"no list {list_ref} in {db.name}")
    if entry_id is None:
        return Response.redirect(cells.list_url(datasette.urls.database(db.name), list_id))
    return Response.redirect(datasette.urls.row(db.name, "entries", str(entry_id)))
