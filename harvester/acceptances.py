"""Findings a curator accepted on purpose: the `harvester-accept.toml` file and its rule.

The file lives beside the reading lists, so acceptances are versioned with them
and outlive any database. Each acceptance records the values of the
disagreement it silences (its fingerprint); it applies only while the finding's
current values are the same, so a changed title or a re-edited note brings the
finding back by itself.

The file is read with tomllib and written here in one fixed layout (a header
comment, then one `[[accept]]` table per acceptance, sorted by key, fields in
FIELD_ORDER, fields with no value left out), so reading and writing a file this
module wrote changes no byte. Comments added by hand are not kept.

The database mirrors the file in the `acceptances` table, for queries; the file
stays the source of truth.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database, Migrations

from .errors import HarvesterError
from .schema import register_migrations

FILE_NAME = "harvester-accept.toml"
HEADER = (
    "# Findings accepted on purpose; `harvester report` hides them while their values stay the same.\n"
    "# Written by `harvester accept` / `harvester unaccept` (one [[accept]] table per finding, sorted by key).\n"
)
# The values that make "the same disagreement"; the key names the entry and the kind.
FINGERPRINT = ("kind", "noted", "arxiv_value", "suggestion")
FIELD_ORDER = ("key", "list", "reason", "accepted_at", *FINGERPRINT)
REQUIRED = ("key", "list", "reason", "accepted_at", "kind")


class AcceptFileError(HarvesterError):
    """An acceptance file that cannot be read or is not in the expected shape."""


@dataclass(frozen=True)
class Acceptance:
    key: str
    list: str  # the list's path relative to the acceptance file's folder
    reason: str
    accepted_at: str
    kind: str
    noted: str | None = None
    arxiv_value: str | None = None
    suggestion: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- reading -------------------------------------------------------------------------


def read_file(path: Path) -> list[Acceptance]:
    """The acceptances in `path`, sorted by key; no file means none."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as error:
        raise AcceptFileError(f"{path}: cannot read: {error.strerror}") from None
    return parse(data, path)


def parse(data: bytes, path: Path) -> list[Acceptance]:
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise AcceptFileError(f"{path}: not UTF-8 (byte {error.start})") from None
    except tomllib.TOMLDecodeError as error:
        raise AcceptFileError(f"{path}: not valid TOML: {error}") from None
    unknown = sorted(set(document) - {"accept"})
    if unknown:
        raise AcceptFileError(f"{path}: unknown top-level key {unknown[0]!r}: only [[accept]] tables belong here")
    tables = document.get("accept", [])
    if not isinstance(tables, list):
        raise AcceptFileError(f"{path}: `accept` must be an array of tables ([[accept]])")
    acceptances = [_acceptance(table, index, path) for index, table in enumerate(tables, 1)]
    _refuse_duplicates(acceptances, path)
    return sorted(acceptances, key=lambda a: a.key)


def _acceptance(table: Any, index: int, path: Path) -> Acceptance:
    where = f"{path}: [[accept]] number {index}"
    if not isinstance(table, dict):
        raise AcceptFileError(f"{where} is not a table")
    unknown = sorted(set(table) - set(FIELD_ORDER))
    if unknown:
        raise AcceptFileError(f"{where}: unknown field {unknown[0]!r} (fields: {', '.join(FIELD_ORDER)})")
    missing = [name for name in REQUIRED if name not in table]
    if missing:
        raise AcceptFileError(f"{where}: missing field {missing[0]!r}")
    values = {name: _text(table[name], name, where) for name in table}
    for name in ("key", "list", "reason", "kind"):
        if not values[name].strip():
            raise AcceptFileError(f"{where}: {name!r} is empty")
    return Acceptance(**values)


def _text(value: Any, name: str, where: str) -> str:
    if isinstance(value, str):
        return value
    if name == "accepted_at" and isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if name == "accepted_at" and isinstance(value, date):
        return value.isoformat()
    raise AcceptFileError(f"{where}: {name!r} must be a string, not {type(value).__name__}")


def _refuse_duplicates(acceptances: Sequence[Acceptance], path: Path) -> None:
    seen: set[str] = set()
    for acceptance in acceptances:
        if acceptance.key in seen:
            raise AcceptFileError(f"{path}: key {acceptance.key!r} is accepted twice")
        seen.add(acceptance.key)


# --- writing -------------------------------------------------------------------------


def render(acceptances: Iterable[Acceptance]) -> str:
    """The file's text in its one layout: header, then `[[accept]]` tables sorted by key."""
    blocks = [_block(a) for a in sorted(acceptances, key=lambda a: a.key)]
    return HEADER + "".join("\n" + block for block in blocks)


def _block(acceptance: Acceptance) -> str:
    values = acceptance.as_dict()
    lines = ["[[accept]]"]
    lines += [f"{name} = {toml_string(values[name])}" for name in FIELD_ORDER if values[name] is not None]
    return "\n".join(lines) + "\n"


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped, the rest as is."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def write_file(path: Path, acceptances: Iterable[Acceptance]) -> None:
    """Replace `path` atomically (temp file + rename): a crash leaves the old file or the new one."""
    text = render(acceptances).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- where the file is ---------------------------------------------------------------


def locate(explicit: Path | None, list_paths: Iterable[Path | str], cwd: Path) -> Path:
    """The acceptance file: the one given, else the first found beside the lists, else in `cwd`.

    Looked for in the deepest folder holding every list, then in each list's
    folder (in name order), then in `cwd`. When none exists yet, a new one goes
    in the deepest folder holding every list (or in `cwd` without lists).
    """
    if explicit is not None:
        return explicit
    folders = sorted({Path(p).resolve().parent for p in list_paths})
    common = [Path(os.path.commonpath(folders))] if folders else []
    candidates = [folder / FILE_NAME for folder in dict.fromkeys([*common, *folders, cwd])]
    return next((path for path in candidates if path.exists()), candidates[0])


def list_label(list_path: str | Path, accept_file: Path) -> str:
    """How an acceptance names its list: relative to the acceptance file's folder, with `/`."""
    relative = os.path.relpath(Path(list_path).resolve(), accept_file.resolve().parent)
    return Path(relative).as_posix()


# --- the fingerprint rule ------------------------------------------------------------

_LIST_ID_PREFIX = re.compile(r"^\d+:")


def portable_key(key: str) -> str:
    """The key without the database's list id, so a rebuilt database still matches.

    Entry keys start with `arxiv:`, `title:` or `text:`, and link keys with a kind,
    so a leading number followed by a colon is always the list id.
    """
    return _LIST_ID_PREFIX.sub("", key)


def fingerprint(finding: Mapping[str, Any]) -> tuple[str | None, ...]:
    return tuple(None if finding.get(name) is None else str(finding[name]) for name in FINGERPRINT)


def same_finding(acceptance: Acceptance, finding: Mapping[str, Any], accept_file: Path) -> bool:
    """Whether `acceptance` was made about this finding (same list, entry and kind)."""
    if portable_key(acceptance.key) != portable_key(str(finding.get("key") or "")):
        return False
    list_path = finding.get("list_path")
    return list_path is None or acceptance.list == list_label(list_path, accept_file)


def applies(acceptance: Acceptance, finding: Mapping[str, Any], accept_file: Path) -> bool:
    """Whether `acceptance` silences `finding`: the same finding, with the same values."""
    return same_finding(acceptance, finding, accept_file) and fingerprint(acceptance.as_dict()) == fingerprint(finding)


@dataclass(frozen=True)
class AcceptanceSet:
    """The acceptances of one file, applied to findings."""

    path: Path
    acceptances: tuple[Acceptance, ...] = ()

    def silences(self, finding: Mapping[str, Any]) -> bool:
        return any(applies(a, finding, self.path) for a in self.acceptances)

    def open_rows(self, findings: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        return [f for f in findings if not self.silences(f)]

    def accepted_rows(self, findings: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        return [f for f in findings if self.silences(f)]

    def state_of(self, acceptance: Acceptance, findings: Sequence[Mapping[str, Any]]) -> str:
        """applies (the finding is hidden), changed (its values moved on: shown again) or gone."""
        same = [f for f in findings if same_finding(acceptance, f, self.path)]
        if any(applies(acceptance, f, self.path) for f in same):
            return "applies"
        return "changed" if same else "gone"


def load(path: Path) -> AcceptanceSet:
    return AcceptanceSet(path, tuple(read_file(path)))


def accept(current: AcceptanceSet, finding: Mapping[str, Any], reason: str, now: str) -> tuple[Acceptance, ...]:
    """The file's acceptances with `finding` accepted for `reason` (replacing an earlier one)."""
    values = dict(zip(FINGERPRINT, fingerprint(finding), strict=True))
    made = Acceptance(
        key=str(finding["key"]),
        list=list_label(finding["list_path"], current.path),
        reason=reason,
        accepted_at=now,
        kind=str(values["kind"]),
        noted=values["noted"],
        arxiv_value=values["arxiv_value"],
        suggestion=values["suggestion"],
    )
    kept = [a for a in current.acceptances if a.key != made.key and not same_finding(a, finding, current.path)]
    return tuple(sorted([*kept, made], key=lambda a: a.key))


def unaccept(current: AcceptanceSet, key: str) -> tuple[Acceptance, ...]:
    """The acceptances without the one for `key`; an unknown key is an error."""
    kept = tuple(a for a in current.acceptances if a.key != key)
    if len(kept) == len(current.acceptances):
        raise AcceptFileError(f"no acceptance for {key!r} in {current.path} (`harvester accept --list` shows them)")
    return kept


def checked_reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise AcceptFileError("--reason must say why the finding is accepted")
    return text


# --- the database mirror -------------------------------------------------------------

migrations = register_migrations(Migrations("acceptances"))


@migrations(name="0001_acceptances")
def _acceptances_table(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE acceptances (
            key TEXT PRIMARY KEY,             -- the finding's key when it was accepted
            list TEXT NOT NULL,               -- the list, relative to the acceptance file
            reason TEXT NOT NULL,
            accepted_at TEXT NOT NULL,
            kind TEXT NOT NULL,               -- kind, noted, arxiv_value, suggestion: the fingerprint
            noted TEXT,
            arxiv_value TEXT,
            suggestion TEXT,
            file TEXT NOT NULL                -- the acceptance file they were read from
        );
        """
    )


def mirror(db: Database, accepted: AcceptanceSet) -> bool:
    """Make the `acceptances` table equal the file; writes nothing when it already is."""
    file = str(accepted.path.resolve())
    wanted = [{**a.as_dict(), "file": file} for a in accepted.acceptances]
    current = list(db.query("SELECT * FROM acceptances ORDER BY key"))
    if current == wanted:
        return False
    with db.atomic():
        db.execute("DELETE FROM acceptances")
        if wanted:
            db.table("acceptances").insert_all(wanted)
    return True
