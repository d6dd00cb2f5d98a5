"""Read-only SQL and full-text search over the database.

`run_query` executes on a connection opened read-only and guarded by an
authorizer, so no statement a user types can change the file.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from .errors import HarvesterError


class QueryRefused(HarvesterError):
    """A statement that would write, attach or change settings."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


# Authorizer actions a read-only query needs; anything else is refused.
_ALLOWED_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE}
# Functions that reach past the data: fts3_tokenizer hands out (and with two arguments
# installs) raw C pointers; load_extension runs native code.
_DENIED_FUNCTIONS = {"fts3_tokenizer", "load_extension"}
# Pragmas that only read, whatever their argument (a table, an index, a row limit)...
_READING_PRAGMAS = {
    "table_info",
    "table_xinfo",
    "index_list",
    "index_info",
    "index_xinfo",
    "foreign_key_list",
    "integrity_check",
    "quick_check",
    "foreign_key_check",
    "table_list",
    "freelist_count",
    "collation_list",
    "database_list",
    "function_list",
    "module_list",
    "pragma_list",
    "compile_options",
    "data_version",
}
# ...and those that read a setting when called without a value (with one they would change it).
_SETTING_PRAGMAS = {
    "user_version",
    "schema_version",
    "application_id",
    "page_count",
    "page_size",
    "journal_mode",
    "encoding",
    "auto_vacuum",
    "foreign_keys",
}


def _authorize(action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None) -> int:
    if action in _ALLOWED_ACTIONS:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_FUNCTION:
        return sqlite3.SQLITE_DENY if (arg2 or "").lower() in _DENIED_FUNCTIONS else sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA:
        name = (arg1 or "").lower()
        if name in _READING_PRAGMAS or (name in _SETTING_PRAGMAS and arg2 is None):
            return sqlite3.SQLITE_OK
    # FTS5 asks this when it connects its virtual table; the file is open read-only anyway.
    if action == sqlite3.SQLITE_UPDATE and arg1 == "sqlite_master":
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def run_query(connection: sqlite3.Connection, sql: str, params: dict[str, Any] | None = None) -> QueryResult:
    connection.set_authorizer(_authorize)
    try:
        cursor = connection.execute(sql, params or {})
        rows = cursor.fetchall()
    except sqlite3.DatabaseError as error:
        message = str(error)
        if "not authorized" in message or "readonly" in message or "read-only" in message:
            raise QueryRefused(
                "query refused: harvester query only reads (SELECT); the database was not changed"
            ) from None
        raise HarvesterError(f"query failed: {message}") from None
    except sqlite3.Warning as error:  # e.g. several statements at once
        raise HarvesterError(f"query failed: {error}") from None
    finally:
        connection.set_authorizer(None)
    columns = [d[0] for d in cursor.description or []]
    return QueryResult(columns, rows)


# --- full-text search -------------------------------------------------------------

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def search_terms(text: str) -> list[str]:
    """Terms of a search as the user meant them; quotes group words into a phrase."""
    terms = [a or b for a, b in re.findall(r'"([^"]+)"|(\S+)', text)]
    return [t.strip().strip('"') for t in terms if t.strip().strip('"')]


def fts_match_expression(terms: list[str]) -> str:
    """Every term as a quoted FTS5 phrase, so no input can be an FTS syntax error."""
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def search(connection: sqlite3.Connection, text: str, limit: int = 20) -> list[dict[str, Any]]:
    """Entries whose noted title or notes, or whose paper's title or abstract, match.

    CJK text has no word boundaries for the FTS tokenizer, so terms with CJK
    characters are matched as substrings instead.
    """
    terms = search_terms(text)
    if not terms:
        return []
    if any(_CJK.search(t) for t in terms):
        return _substring_search(connection, terms, limit)
    return _fts_search(connection, terms, limit)


def _fts_search(connection: sqlite3.Connection, terms: list[str], limit: int) -> list[dict[str, Any]]:
    # Ranked first, snippets after: a snippet costs a pass over the matched text, so it
    # is computed for the hits shown, not for every match (a common word matches all).
    match = fts_match_expression(terms)
    sql = """
    WITH hits AS (
      SELECT e.id AS entry_id, entries_fts.rank AS rank, 'entries' AS source, entries_fts.rowid AS fts_row
      FROM entries_fts JOIN entries e ON e.rowid = entries_fts.rowid
      WHERE entries_fts MATCH :match
      UNION ALL
      SELECT e.id, papers_fts.rank, 'papers', papers_fts.rowid
      FROM papers_fts JOIN papers p ON p.rowid = papers_fts.rowid
      JOIN entries e ON e.arxiv_id = p.arxiv_id
      WHERE papers_fts MATCH :match
    ), best AS (
      SELECT entry_id, min(rank) AS rank, source, fts_row FROM hits GROUP BY entry_id
    )
    SELECT l.name AS list, e.section, e.line, e.arxiv_id, p.title, e.noted_title,
           best.source AS source, best.fts_row AS fts_row
    FROM best JOIN entries e ON e.id = best.entry_id JOIN lists l ON l.id = e.list_id
    LEFT JOIN papers p ON p.arxiv_id = e.arxiv_id
    WHERE e.removed_at IS NULL
    ORDER BY best.rank, l.name, e.line
    LIMIT :limit
    """
    hits = run_query(connection, sql, {"match": match, "limit": limit}).as_dicts()
    snippets = {
        source: _snippets(connection, source, match, [h["fts_row"] for h in hits if h["source"] == source])
        for source in ("entries", "papers")
    }
    for hit in hits:
        hit["snippet"] = snippets[hit.pop("source")].get(hit.pop("fts_row"))
    return hits


def _snippets(connection: sqlite3.Connection, table: str, match: str, rows: list[int]) -> dict[int, str]:
    """The snippet of each of `rows` (rowids of `table`'s full-text index) for `match`."""
    if not rows:
        return {}
    params: dict[str, Any] = {f"r{i}": row for i, row in enumerate(rows)}
    marks = ", ".join(f":{name}" for name in params)
    sql = (
        f"SELECT rowid, snippet({table}_fts, -1, '[', ']', '…', 12) FROM {table}_fts "
        f"WHERE {table}_fts MATCH :match AND rowid IN ({marks})"
    )
    result = run_query(connection, sql, params | {"match": match})
    return {int(row[0]): str(row[1]) for row in result.rows}


def _substring_search(connection: sqlite3.Connection, terms: list[str], limit: int) -> list[dict[str, Any]]:
    haystack = (
        "(coalesce(e.noted_title, '') || ' ' || coalesce(e.notes, '') || ' ' || e.section || ' ' || "
        "coalesce(p.title, '') || ' ' || coalesce(p.abstract, ''))"
    )
    conditions = " AND ".join(f"instr(lower({haystack}), lower(:t{i})) > 0" for i in range(len(terms)))
    params: dict[str, Any] = {f"t{i}": term for i, term in enumerate(terms)}
    params["limit"] = limit
    sql = f"""
    SELECT l.name AS list, e.section, e.line, e.arxiv_id, p.title, e.noted_title,
           coalesce(e.notes, e.noted_title) AS snippet
    FROM entries e JOIN lists l ON l.id = e.list_id LEFT JOIN papers p ON p.arxiv_id = e.arxiv_id
    WHERE e.removed_at IS NULL AND {conditions}
    ORDER BY l.name, e.line
    LIMIT :limit
    """
    return run_query(connection, sql, params).as_dicts()
