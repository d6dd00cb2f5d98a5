"""The words harvester uses, defined once: severities, finding kinds, link verdicts, run statuses.

Python, the SQL views and the README all read these definitions; adding a
finding kind or a verdict is an entry here (plus, for a kind, the rule that
raises it and, when it is fixable, its editor in `fix.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # the entry is wrong
    WARNING = "warning"  # the entry should change
    INFO = "info"  # worth knowing; nothing is wrong

    @property
    def rank(self) -> int:
        """0 for the worst: sorting by rank puts errors first."""
        return list(Severity).index(self)

    def at_least(self, level: Severity) -> bool:
        """As bad as `level` or worse (how `--fail-on LEVEL` reads)."""
        return self.rank <= level.rank


def severity_rank(value: str | None) -> int:
    """Rank of a severity as stored (text); unknown values sort last."""
    try:
        return Severity(value or "").rank
    except ValueError:
        return len(Severity)


class Source(StrEnum):
    """Who a finding's evidence comes from."""

    ARXIV = "arxiv"
    SEMANTIC_SCHOLAR = "semantic_scholar"
    HUGGINGFACE = "huggingface"
    LINKS = "links"


@dataclass(frozen=True)
class Kind:
    """One kind of finding: what it means, how bad it is, what to do about it."""

    name: str
    severity: Severity
    meaning: str  # for the README's table and SARIF-like help texts
    action: str  # one sentence for `report`, formatted with the finding's fields
    suggests: str = ""  # what the suggestion holds, for the README
    fixable: bool = False  # `fix` can write the suggestion into the list


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "title_typo",
            Severity.WARNING,
            "the noted title (or the part of it in arXiv's script, beside a translation) is arXiv's with "
            "small slips (letters, two swapped letters, plural, punctuation, case; in a title of 5+ words "
            "one word more or fewer)",
            'Fix the title to "{suggestion}"',
            "arXiv's title (its name before the colon when only that was noted; a translation beside it kept)",
            fixable=True,
        ),
        Kind(
            "title_outdated",
            Severity.WARNING,
            "the noted title is what an earlier version was called",
            'Update the title to the current one: "{suggestion}"',
            "the current title",
            fixable=True,
        ),
        Kind(
            "title_mismatch",
            Severity.ERROR,
            "the noted title is unrelated to every version: probably a wrong ID (a title in another script, "
            "a translation, is never one)",
            'Check the arXiv ID {arxiv_id}: that paper is "{arxiv_value}"',
        ),
        Kind(
            "date_mismatch",
            Severity.WARNING,
            "the noted date agrees with no version's submission date at the precision written "
            "(one day of tolerance; the ID's YYMM is never used)",
            "Change the date {noted} to {suggestion}",
            "v1's date, written like the note",
            fixable=True,
        ),
        Kind(
            "id_conflict",
            Severity.ERROR,
            "the entry's links name different arXiv IDs",
            "Keep one of the arXiv IDs {noted}",
        ),
        Kind(
            "duplicate_entry",
            Severity.WARNING,
            "the same paper twice in one list",
            "Listed twice: {suggestion}",
        ),
        Kind(
            "not_found",
            Severity.ERROR,
            "arXiv has no such paper",
            "arXiv has no paper {arxiv_id}: correct the ID",
        ),
        Kind(
            "withdrawn",
            Severity.WARNING,
            "the latest version says it was withdrawn",
            "The paper was withdrawn: mark or remove the entry",
        ),
        Kind(
            "new_version",
            Severity.INFO,
            "a version newer than the noted date or the last run",
            "Newer version {arxiv_value}: re-read it",
        ),
        Kind(
            "venue_mismatch",
            Severity.WARNING,
            "the noted venue contradicts arXiv's comment or journal ref, or the published venue by any of "
            "the names Semantic Scholar or DBLP give it, known to harvester or not (NIPS = NeurIPS; "
            "workshop ≠ main conference; a noted venue harvester cannot read is never judged)",
            "Change the venue {noted} to {suggestion}",
            "the venue found, with its year",
        ),
        Kind(
            "mirror_link",
            Severity.WARNING,
            "a link to a retired arXiv mirror (cn.arxiv.org, ...)",
            "Replace the dead link {noted} with {suggestion}",
            "the arxiv.org link",
            fixable=True,
        ),
        Kind(
            "category_suspect",
            Severity.INFO,
            "the entry's text fits another section of the list clearly better, or none of the list's topics "
            "(topic glossary, TF-IDF and arXiv categories of sections pooled across every list; "
            "or TF-IDF within the list, sections of 4+ papers)",
            "Consider moving it to {suggestion}",
            "the better section, or the list's catch-all section",
        ),
        Kind(
            "code_mismatch",
            Severity.WARNING,
            "the noted code link is not the official repository",
            "Replace the code link {noted} with the official repository {suggestion}",
            "the official one",
        ),
        Kind(
            "code_missing",
            Severity.INFO,
            "an official repository exists and the entry has no code link",
            "Add the official code link {suggestion}",
            "the official one",
        ),
        Kind(
            "published_doi",
            Severity.INFO,
            "the published version has a DOI the entry does not mention",
            "Add the published version's DOI: {suggestion}",
            "`https://doi.org/<doi>`",
        ),
        # From the link checker's verdicts (see VERDICT_KINDS below), not from reconcile.
        Kind(
            "dead_link",
            Severity.WARNING,
            "a link that is gone (404/410, a name that does not resolve), after 3 failing runs over 2 days",
            "Replace or remove the dead link {noted}",
        ),
        Kind(
            "moved_link",
            Severity.INFO,
            "a link that permanently redirects (every hop 301/308)",
            "The link {noted} moved to {suggestion}",
            "the final URL",
            fixable=True,
        ),
    )
}

# The kinds the reconciler raises, in the order it sorts them.
RECONCILE_KINDS: tuple[str, ...] = tuple(name for name in KINDS if name not in ("dead_link", "moved_link"))
FIXABLE_KINDS: tuple[str, ...] = tuple(name for name, kind in KINDS.items() if kind.fixable)


def severity_of(kind: str) -> Severity:
    return KINDS[kind].severity


class Verdict(StrEnum):
    """What a link does today."""

    OK = "ok"
    MOVED = "moved"  # every hop a permanent redirect: the final URL is the suggestion
    REDIRECTED = "redirected"  # a temporary hop somewhere: nothing to change
    DEAD = "dead"  # 404/410, a name that does not resolve, a retired mirror
    UNREACHABLE = "unreachable"  # time-outs, refused connections, 5xx, TLS errors
    BLOCKED = "blocked"  # 401/403/429 or a challenge page: says nothing about the link
    SKIPPED = "skipped"  # not http(s), excluded, a private address


# A verdict the curator should act on becomes a finding of this kind; the others are
# kept for history and Datasette but ask for nothing.
VERDICT_KINDS: dict[Verdict, str] = {Verdict.DEAD: "dead_link", Verdict.MOVED: "moved_link"}
# Verdicts that tell nothing went wrong with the link (or that it was not looked at).
QUIET_VERDICTS: tuple[Verdict, ...] = (Verdict.OK, Verdict.SKIPPED)
# A problem link: anything else. Shown in the views; only VERDICT_KINDS reach `report`.
PROBLEM_VERDICTS: tuple[Verdict, ...] = tuple(v for v in Verdict if v not in QUIET_VERDICTS)


class RunStatus(StrEnum):
    """A row of `runs`."""

    RUNNING = "running"
    OK = "ok"
    PARTIAL = "partial"  # a step failed; the others ran
    FAILED = "failed"  # every step failed, or the run itself crashed (the error says why)
    KILLED = "killed"  # the process died (found `running` by the next run)


class Step(StrEnum):
    """The steps of a refresh, in the order the run log lists them (`fail_on_steps` names them).

    Some run side by side (see refresh.py); the order here is the log's, not the finishing one.
    """

    IMPORT = "import"
    FETCH = "fetch"
    ENRICH = "enrich"  # advisory by default: optional services must not turn a nightly run red
    RECONCILE = "reconcile"
    LINKS = "links"
    SUGGEST = "suggest"  # off by default; advisory like enrich (it asks the same optional services)


ADVISORY_STEPS: tuple[Step, ...] = (Step.ENRICH, Step.SUGGEST)  # outside the default `fail_on_steps`


class StepStatus(StrEnum):
    """One step of a refresh."""

    OK = "ok"
    PARTIAL = "partial"
    FAILED = "failed"
    SKIPPED = "skipped"


def sql_list(values: tuple[str, ...] | list[str]) -> str:
    """`('a', 'b')` for an SQL `IN`; only for the fixed words above, never for user input."""
    return "(" + ", ".join("'" + value.replace("'", "''") + "'" for value in values) + ")"


def sql_severity_rank(column: str) -> str:
    """An SQL expression ranking `column` like `Severity.rank` (errors first)."""
    whens = " ".join(f"WHEN '{severity.value}' THEN {severity.rank}" for severity in Severity)
    return f"CASE {column} {whens} ELSE {len(Severity)} END"


def kinds_table() -> str:
    """The README's table of finding kinds, generated so it cannot drift from KINDS."""
    lines = ["| kind | severity | meaning | suggestion | `fix` |", "|---|---|---|---|---|"]
    for kind in KINDS.values():
        fixable = "yes" if kind.fixable else ""
        lines.append(f"| `{kind.name}` | {kind.severity} | {kind.meaning} | {kind.suggests} | {fixable} |")
    return "\n".join(lines) + "\n"


class FindingEvent(StrEnum):
    """A row of `finding_events`: what happened to a finding in one reconcile."""

    OPENED = "opened"
    CHANGED = "changed"  # still open, with a new suggestion or explanation
    RESOLVED = "resolved"
    REOPENED = "reopened"


# After which a finding is open: the dashboard's charts over runs read a finding's last one.
OPEN_AFTER: tuple[FindingEvent, ...] = (FindingEvent.OPENED, FindingEvent.CHANGED, FindingEvent.REOPENED)


class SuggestionStatus(StrEnum):
    """A row of `suggestions` (`harvester suggest`)."""

    OPEN = "open"  # suggested, not decided
    ACCEPTED = "accepted"  # the paper is in a list now
    REJECTED = "rejected"  # the curator said no (`suggest --reject`): never suggested again


# Where suggestions come from: Semantic Scholar's recommendations and arXiv's search.
SUGGESTION_SOURCES: tuple[Source, ...] = (Source.SEMANTIC_SCHOLAR, Source.ARXIV)
