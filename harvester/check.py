"""`harvester check`: lists checked offline against what the database already holds.

For a pre-commit hook or an editor: the given lists are imported and reconciled in
an in-memory copy of the database, so nothing is fetched (no network at all) and
the database file is never written; the findings of those lists are returned in
`report`'s shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from .acceptances import AcceptanceSet
from .importer import SourceList, import_lists
from .reconciling import run_reconcile
from .report import report_rows
from .store import open_scratch_copy


def check_lists(
    db_path: Path, sources: Sequence[SourceList], now: datetime, accepted: AcceptanceSet | None = None
) -> list[dict[str, Any]]:
    """Open findings and link problems of `sources`, as the database would hold them after importing them."""
    db = open_scratch_copy(db_path)
    try:
        import_lists(db, sources, now)
        run_reconcile(db, now=now)
        checked = {str(source.path) for source in sources}
        return [row for row in report_rows(db, accepted=accepted) if row.get("list_path") in checked]
    finally:
        db.conn.close()
