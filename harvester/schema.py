"""The database's shape, declared as data: migrations, full-text indexes and views.

Every write command ends with `ensure_db_shape(db)`, which is idempotent. Other
modules that own tables (link history, findings, enrichments) register their
own `Migrations` sets in `MIGRATION_SETS` through `register_migrations`.
"""

from __future__ import annotations

import re
from datetime import date

from sqlite_utils import Database, Migrations

from .arxiv.feed import says_withdrawn
from .rawentries import pack as pack_raw_entry

# Stamped into every database harvester creates (`PRAGMA application_id`), so that a file
# is known as ours before anything is written to it. The bytes spell "hrvs".
APPLICATION_ID = 0x68727673
FIRST_MIGRATION = "0001_reading_lists"

core = Migrations("harvester")
MIGRATION_SETS: list[Migrations] = [core]


def register_migrations(migrations: Migrations) -> Migrations:
    if all(m.name != migrations.name for m in MIGRATION_SETS):
        MIGRATION_SETS.append(migrations)
    return migrations


@core(name=FIRST_MIGRATION)
def _reading_lists(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE lists (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,        -- absolute path of the markdown file
            name TEXT NOT NULL,               -- file name, e.g. model-compression.md
            title TEXT,
            front_matter TEXT,                -- JSON object of the YAML front matter, as text
            sha256 TEXT NOT NULL,             -- of the bytes last imported
            size INTEGER NOT NULL,
            imported_at TEXT NOT NULL         -- last import that changed something
        );
        CREATE TABLE sections (
            id INTEGER PRIMARY KEY,
            list_id INTEGER NOT NULL REFERENCES lists(id),
            path TEXT NOT NULL,               -- headings joined with ' / ', e.g. '附录 / A 参考资料'
            heading TEXT NOT NULL,
            level INTEGER NOT NULL,
            position INTEGER NOT NULL,
            line INTEGER NOT NULL,
            is_paper_section INTEGER NOT NULL,
            removed_at TEXT,
            UNIQUE (list_id, path)
        );
        CREATE TABLE entries (
            id INTEGER PRIMARY KEY,
            list_id INTEGER NOT NULL REFERENCES lists(id),
            entry_key TEXT NOT NULL,          -- stable identity across edits (see importer.py)
            section TEXT NOT NULL,            -- sections.path of the entry's section
            position INTEGER NOT NULL,
            line INTEGER NOT NULL,
            end_line INTEGER NOT NULL,
            raw TEXT NOT NULL,
            is_paper INTEGER NOT NULL,
            noted_title TEXT,
            arxiv_id TEXT,                    -- canonical unversioned
            arxiv_ids TEXT NOT NULL,          -- JSON array of every ID the entry names
            noted_date TEXT,                  -- as written
            noted_date_precision TEXT,        -- day | month | year
            noted_venue TEXT,
            rating INTEGER,
            rating_text TEXT,
            notes TEXT,
            first_seen TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            removed_at TEXT,
            UNIQUE (list_id, entry_key)
        );
        CREATE INDEX entries_arxiv_id ON entries(arxiv_id);
        CREATE TABLE entry_links (
            id INTEGER PRIMARY KEY,
            entry_id INTEGER NOT NULL REFERENCES entries(id),
            position INTEGER NOT NULL,
            url TEXT NOT NULL,
            label TEXT NOT NULL,
            role TEXT NOT NULL,               -- title | paper | code | notes | other
            line INTEGER NOT NULL,
            arxiv_id TEXT,
            arxiv_version INTEGER,
            marker TEXT,
            UNIQUE (entry_id, position)
        );
        CREATE INDEX entry_links_url ON entry_links(url);
        """
    )


@core(name="0002_papers")
def _papers(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE papers (
            arxiv_id TEXT PRIMARY KEY,        -- canonical unversioned
            version INTEGER NOT NULL,         -- latest version seen
            title TEXT NOT NULL,
            abstract TEXT NOT NULL,
            published TEXT NOT NULL,          -- v1 submission, UTC ISO 8601
            updated TEXT NOT NULL,            -- latest version's submission, UTC
            primary_category TEXT,
            other_classifications TEXT NOT NULL,  -- JSON array of ACM/MSC codes
            comment TEXT,
            journal_ref TEXT,
            doi TEXT,                         -- first publisher DOI
            dois TEXT NOT NULL,               -- JSON array of every DOI
            abs_url TEXT NOT NULL,
            pdf_url TEXT,
            withdrawn INTEGER NOT NULL DEFAULT 0,
            first_seen TEXT NOT NULL,
            last_fetched TEXT NOT NULL,
            missing_since TEXT                -- set while arXiv stops returning it
        );
        CREATE TABLE missing_papers (         -- IDs arXiv never returned
            arxiv_id TEXT PRIMARY KEY,
            first_missing TEXT NOT NULL,
            last_checked TEXT NOT NULL
        );
        CREATE TABLE paper_versions (
            id INTEGER PRIMARY KEY,
            arxiv_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            title TEXT NOT NULL,
            submitted TEXT NOT NULL,          -- that version's submission time, UTC
            comment TEXT,
            seen_at TEXT NOT NULL,
            UNIQUE (arxiv_id, version, title, submitted)
        );
        CREATE TABLE authors (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE
        );
        CREATE TABLE paper_authors (
            arxiv_id TEXT NOT NULL REFERENCES papers(arxiv_id),
            position INTEGER NOT NULL,
            author_id INTEGER NOT NULL REFERENCES authors(id),
            affiliations TEXT NOT NULL,       -- JSON array
            PRIMARY KEY (arxiv_id, position)
        );
        CREATE TABLE paper_categories (
            arxiv_id TEXT NOT NULL REFERENCES papers(arxiv_id),
            category TEXT NOT NULL,
            is_primary INTEGER NOT NULL,
            PRIMARY KEY (arxiv_id, category)
        );
        CREATE TABLE raw_entries (
            arxiv_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            fetched_at TEXT NOT NULL,
            xml TEXT NOT NULL,
            PRIMARY KEY (arxiv_id, version)
        );
        """
    )


@core(name="0003_runs")
def _runs(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            command TEXT NOT NULL,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            status TEXT NOT NULL,             -- running | ok | partial | failed | killed (vocabulary.RunStatus)
            steps TEXT NOT NULL DEFAULT '{}', -- JSON: step -> {status, counts, error}
            errors TEXT NOT NULL DEFAULT '[]'
        );
        """
    )


@core(name="0004_missing_runs")
def _missing_runs(db: Database) -> None:
    # A paper arXiv stops returning is only reported once it has stayed away as
    # long as a failing link must (links.verdicts.DeadRule): each run that finds
    # it missing counts. Rows from before this column were seen missing once.
    db.execute("ALTER TABLE missing_papers ADD COLUMN missing_runs INTEGER NOT NULL DEFAULT 1")


@core(name="0005_withdrawn_once")
def _withdrawn_once(db: Database) -> None:
    # `withdrawn` is now the one place a withdrawal is decided: rows stored before
    # were judged by a narrower pattern, so judge their comments again.
    rows = db.execute("SELECT arxiv_id, comment FROM papers WHERE comment IS NOT NULL").fetchall()
    for arxiv_id, comment in rows:
        if says_withdrawn(comment):
            db.execute("UPDATE papers SET withdrawn = 1 WHERE arxiv_id = ?", [arxiv_id])


@core(name="0006_noted_date_parts")
def _noted_date_parts(db: Database) -> None:
    # The parser's reading of a noted date is stored at import, so nothing parses
    # it again later; rows imported before get it from their stored text once.
    for column in ("noted_year", "noted_month", "noted_day"):
        db.execute(f"ALTER TABLE entries ADD COLUMN {column} INTEGER")
    rows = db.execute("SELECT id, noted_date, noted_date_precision FROM entries WHERE noted_date IS NOT NULL")
    for entry_id, text, precision in rows.fetchall():
        parts = _date_parts_from_text(text, precision)
        if parts is not None:
            db.execute(
                "UPDATE entries SET noted_year = ?, noted_month = ?, noted_day = ? WHERE id = ?", [*parts, entry_id]
            )


@core(name="0007_raw_entries_packed")
def _raw_entries_packed(db: Database) -> None:
    # The verbatim XML was over half the file at 100,000 papers: it is kept packed
    # (rawentries.py: zlib primed with the entry's markup; `raw_xml(xml_zlib)` reads
    # it back in SQL). WITHOUT ROWID: the key is the table, not a second index.
    # Statements one by one: executescript would commit the migration's transaction.
    db.execute(
        """
        CREATE TABLE raw_entries_packed (
            arxiv_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            fetched_at TEXT NOT NULL,
            xml_zlib BLOB NOT NULL,           -- rawentries.pack of the Atom entry; SQL: raw_xml(xml_zlib)
            PRIMARY KEY (arxiv_id, version)
        ) WITHOUT ROWID
        """
    )
    rows = db.conn.execute("SELECT arxiv_id, version, fetched_at, xml FROM raw_entries")
    while chunk := rows.fetchmany(1000):
        db.conn.executemany(
            "INSERT INTO raw_entries_packed (arxiv_id, version, fetched_at, xml_zlib) VALUES (?, ?, ?, ?)",
            [(arxiv_id, version, fetched_at, pack_raw_entry(xml)) for arxiv_id, version, fetched_at, xml in chunk],
        )
    rows.close()
    db.execute("DROP TABLE raw_entries")
    db.execute("ALTER TABLE raw_entries_packed RENAME TO raw_entries")


@core(name="0008_reading_order_indexes")
def _reading_order_indexes(db: Database) -> None:
    # The views people page through (Datasette shows their first rows) stream in their
    # ORDER BY from these, instead of computing and sorting every row first: at 100,000
    # papers that sort alone outran Datasette's time limit (benchmarks/scale).
    for statement in (
        "CREATE INDEX IF NOT EXISTS lists_name ON lists(name)",
        # reading_list: a list's paper entries in order (partial: only the rows the view shows)
        "CREATE INDEX IF NOT EXISTS entries_listed ON entries(list_id, position) "
        "WHERE removed_at IS NULL AND is_paper = 1",
        # recent_changes: each of its three parts newest first, merged
        "CREATE INDEX IF NOT EXISTS paper_versions_seen ON paper_versions(seen_at)",
        "CREATE INDEX IF NOT EXISTS papers_first_seen ON papers(first_seen)",
        "CREATE INDEX IF NOT EXISTS entries_updated ON entries(updated_at)",
    ):
        db.execute(statement)


_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}


def _date_parts_from_text(text: str, precision: str | None) -> tuple[int, int | None, int | None] | None:
    """Year, month, day of a stored date text: numbers in year-month-day order, or a month name."""
    needed = {"year": 0, "month": 1, "day": 2}.get(precision or "")
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    years = [n for n in numbers if n >= 1000]
    if needed is None or len(years) != 1:
        return None
    rest = [n for n in numbers if n < 1000]
    month_name = re.search(r"[A-Za-z]{3,}", text)
    if month_name and month_name.group(0)[:3].lower() in _MONTHS:
        rest = [_MONTHS[month_name.group(0)[:3].lower()], *rest]
    if len(rest) < needed:
        return None
    month = rest[0] if needed >= 1 else None
    day = rest[1] if needed == 2 else None
    try:
        date(years[0], month or 1, day or 1)
    except ValueError:
        return None
    return years[0], month, day


@core(name="0009_run_watermarks")
def _run_watermarks(db: Database) -> None:
    # Timestamps are whole seconds, so two runs in one second cannot be told apart by time:
    # each run records the last finding event and link check it left, and "the state after
    # run N" is everything up to those (NULL for runs before this, or killed ones: by time).
    db.execute("ALTER TABLE runs ADD COLUMN finding_events_upto INTEGER")
    db.execute("ALTER TABLE runs ADD COLUMN link_checks_upto INTEGER")


# Tables whose primary key is all there is to find a row by, stored as that key (WITHOUT
# ROWID): as rowid tables each kept its key a second time in an index of its own, and
# paper_versions' repeated every title (benchmarks/scale: 9 MB of 192 at 100,000 papers).
# paper_versions' `id` was a row counter nothing reads; its key is what makes a row one.
# (paper_versions became a rowid table again in 0011, without the index that repeated titles.)
KEYED_TABLES = {
    "paper_versions": (
        """(
            arxiv_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            title TEXT NOT NULL,
            submitted TEXT NOT NULL,          -- that version's submission time, UTC
            comment TEXT,
            seen_at TEXT NOT NULL,
            PRIMARY KEY (arxiv_id, version, title, submitted)
        ) WITHOUT ROWID""",
        ("arxiv_id", "version", "title", "submitted", "comment", "seen_at"),
    ),
    "paper_authors": (
        """(
            arxiv_id TEXT NOT NULL REFERENCES papers(arxiv_id),
            position INTEGER NOT NULL,
            author_id INTEGER NOT NULL REFERENCES authors(id),
            affiliations TEXT NOT NULL,       -- JSON array
            PRIMARY KEY (arxiv_id, position)
        ) WITHOUT ROWID""",
        ("arxiv_id", "position", "author_id", "affiliations"),
    ),
    "paper_categories": (
        """(
            arxiv_id TEXT NOT NULL REFERENCES papers(arxiv_id),
            category TEXT NOT NULL,
            is_primary INTEGER NOT NULL,
            PRIMARY KEY (arxiv_id, category)
        ) WITHOUT ROWID""",
        ("arxiv_id", "category", "is_primary"),
    ),
}


def rebuild_table(db: Database, name: str, shape: str, columns: tuple[str, ...], order_by: str = "") -> None:
    """Table `name` made again in `shape` (the text after CREATE TABLE name), every row kept.

    `order_by` (SQL after ORDER BY) is the order rows go in: a rowid table numbers them so.

    Copied out and back rather than renamed: renaming a table checks every view, and a
    view of the table being replaced would name one that is gone. Indexes go with the
    old table: the caller makes them again. Statements one by one: executescript would
    commit the migration's transaction.
    """
    names = ", ".join(columns)
    db.execute(f"CREATE TEMP TABLE {name}_rows AS SELECT {names} FROM main.{name}")
    db.execute(f"DROP TABLE main.{name}")
    db.execute(f"CREATE TABLE main.{name} {shape}")
    order = f" ORDER BY {order_by}" if order_by else ""
    db.execute(f"INSERT INTO main.{name} ({names}) SELECT {names} FROM temp.{name}_rows{order}")
    db.execute(f"DROP TABLE temp.{name}_rows")


@core(name="0010_keyed_tables")
def _keyed_tables(db: Database) -> None:
    for name, (shape, columns) in KEYED_TABLES.items():
        rebuild_table(db, name, shape, columns)
    db.execute("CREATE INDEX IF NOT EXISTS paper_versions_seen ON paper_versions(seen_at)")


# paper_versions as a plain rowid table: as a WITHOUT ROWID table keyed by (arxiv_id, version,
# title, submitted), its seen_at index (recent_changes) had to carry that whole key, every title
# again: 99 bytes a paper at 100,000 (benchmarks/scale). Now that index holds a seen_at and a
# row number (28), and a narrow (arxiv_id, version) index finds a paper's versions (19). A row is
# still one sighting of a (version, title, date): the trigger skips an insert of one already
# stored, as INSERT OR IGNORE did against the key (harvest writes that way), without keeping the
# title a second time. Rows go in in sighting order, the order recent_changes walks them.
PAPER_VERSIONS_SHAPE = """(
            arxiv_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            title TEXT NOT NULL,
            submitted TEXT NOT NULL,          -- that version's submission time, UTC
            comment TEXT,
            seen_at TEXT NOT NULL             -- one row per (arxiv_id, version, title, submitted): see the triggers
        )"""
PAPER_VERSION_KEY = ("arxiv_id", "version", "title", "submitted")
_SAME_SIGHTING = " AND ".join(f"v.{column} = NEW.{column}" for column in PAPER_VERSION_KEY)
_KEY_REFUSED = "UNIQUE constraint failed: " + ", ".join(f"paper_versions.{column}" for column in PAPER_VERSION_KEY)


@core(name="0011_paper_versions_by_row")
def _paper_versions_by_row(db: Database) -> None:
    columns = (*PAPER_VERSION_KEY, "comment", "seen_at")
    rebuild_table(
        db, "paper_versions", PAPER_VERSIONS_SHAPE, columns, order_by="seen_at, arxiv_id, version, title, submitted"
    )
    for statement in (
        "CREATE INDEX paper_versions_paper ON paper_versions(arxiv_id, version)",
        "CREATE INDEX paper_versions_seen ON paper_versions(seen_at)",
        # An insert of a sighting already stored is skipped, not an error (as INSERT OR IGNORE
        # against a unique key: `harvest` counts the rows an insert added).
        f"""CREATE TRIGGER paper_versions_once BEFORE INSERT ON paper_versions
        WHEN EXISTS (SELECT 1 FROM paper_versions v WHERE {_SAME_SIGHTING})
        BEGIN SELECT RAISE(IGNORE); END""",
        # An update that would make a row repeat another is refused, as the key refused it.
        f"""CREATE TRIGGER paper_versions_once_updated BEFORE UPDATE ON paper_versions
        WHEN EXISTS (SELECT 1 FROM paper_versions v WHERE v.rowid != OLD.rowid AND {_SAME_SIGHTING})
        BEGIN SELECT RAISE(ABORT, '{_KEY_REFUSED}'); END""",
    ):
        db.execute(statement)
