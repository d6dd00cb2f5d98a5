"""Views a person can open in Datasette and understand without reading code.

Each view names the tables it needs; `store.ensure_db_shape` creates it once
they exist and re-creates it when its SQL here changes. The views a person pages
through stream their first rows from indexes (schema.py, 0008): `reading_list`
walks lists by name (CROSS JOIN fixes that loop order) and each list's entries
by position, so its counts are computed for the rows shown, not for all.
"""

from __future__ import annotations

from .vocabulary import PROBLEM_VERDICTS, QUIET_VERDICTS, VERDICT_KINDS, Severity, sql_list, sql_severity_rank

_REPORTED_FIRST = " ".join(f"WHEN '{verdict.value}' THEN {rank}" for rank, verdict in enumerate(VERDICT_KINDS))

VIEWS: dict[str, tuple[set[str], str]] = {
    "reading_list": (
        {"lists", "entries", "papers", "findings", "links", "entry_links"},
        f"""
SELECT
  e.id AS entry_id,
  l.name AS list,
  e.section,
  e.line,
  e.arxiv_id,
  e.noted_title,
  p.title AS arxiv_title,
  e.noted_date,
  substr(p.published, 1, 10) AS arxiv_v1_date,
  p.version AS arxiv_version,
  e.noted_venue,
  p.comment AS arxiv_comment,
  p.journal_ref AS arxiv_journal_ref,
  e.notes,
  (SELECT count(*) FROM findings f
     WHERE f.entry_id = e.id AND f.resolved_at IS NULL AND f.severity != '{Severity.INFO}') AS open_findings,
  (SELECT group_concat(DISTINCT k.verdict) FROM entry_links el JOIN links k ON k.url = el.url
     WHERE el.entry_id = e.id AND k.verdict NOT IN {sql_list(QUIET_VERDICTS)}) AS link_problems
FROM lists l
CROSS JOIN entries e ON e.list_id = l.id
LEFT JOIN papers p ON p.arxiv_id = e.arxiv_id
WHERE e.removed_at IS NULL AND e.is_paper = 1
ORDER BY l.name, e.position
""",
    ),
    "open_findings": (
        {"findings", "lists"},
        f"""
SELECT l.name AS list, f.section, f.line, f.arxiv_id, f.kind, f.severity,
       f.noted, f.arxiv_value, f.suggestion, f.source, f.first_seen
FROM findings f
JOIN lists l ON l.id = f.list_id
WHERE f.resolved_at IS NULL
ORDER BY {sql_severity_rank("f.severity")}, l.name, f.line
""",
    ),
    "link_problems": (
        {"links", "entry_links", "entries", "lists"},
        f"""
SELECT k.url, k.verdict, k.status, k.final_url, k.suggestion, k.error,
       k.first_failed_at, k.consecutive_failures,
       (SELECT group_concat(l.name || ':' || el.line, ', ')
          FROM entry_links el JOIN entries e ON e.id = el.entry_id JOIN lists l ON l.id = e.list_id
          WHERE el.url = k.url AND e.removed_at IS NULL) AS used_at
FROM links k
WHERE k.verdict IN {sql_list(PROBLEM_VERDICTS)}
ORDER BY CASE k.verdict {_REPORTED_FIRST} ELSE {len(VERDICT_KINDS)} END, k.url
""",
    ),
    "recent_changes": (
        {"paper_versions", "papers", "entries"},
        """
SELECT seen_at AS at, 'paper version' AS change, arxiv_id AS subject,
       'v' || version || ': ' || title AS detail
FROM paper_versions
UNION ALL
SELECT first_seen, 'paper added', arxiv_id, title FROM papers
UNION ALL
SELECT updated_at, CASE WHEN removed_at IS NOT NULL THEN 'entry removed'
                        WHEN updated_at = first_seen THEN 'entry added' ELSE 'entry edited' END,
       coalesce(arxiv_id, noted_title), noted_title
FROM entries
ORDER BY at DESC
""",
    ),
}
