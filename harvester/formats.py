"""What `report`, `check` and `export` can write: the formats and styles, named once.

Light on purpose: the command line's options are built from these at every start,
before any command has loaded its renderers.
"""

from __future__ import annotations

from enum import StrEnum

from .errors import HarvesterError


class ReportFormat(StrEnum):
    TABLE = "table"
    MARKDOWN = "markdown"  # a summary for a CI job's page ($GITHUB_STEP_SUMMARY)
    JSON = "json"
    GITHUB = "github"  # GitHub Actions workflow commands: annotations on the lists' lines
    SARIF = "sarif"  # SARIF 2.1.0, for code scanning


class ExportFormat(StrEnum):
    BIBTEX = "bibtex"
    CSV = "csv"
    JSON = "json"
    MARKDOWN = "markdown"


class ExportStyle(StrEnum):
    PUBLISHED = "published"  # bibtex: the published version when a source names it
    ARXIV = "arxiv"  # bibtex: always the arXiv preprint, as @misc
    CURATOR = "curator"  # markdown: each list in its own layout, regenerated from its file
    AWESOME = "awesome"  # markdown: a plain awesome-list layout
    PLAIN = "plain"  # markdown: from the database alone, one paper a line


# Each format's styles, its default first; a format missing here takes no --style.
STYLES: dict[ExportFormat, tuple[ExportStyle, ...]] = {
    ExportFormat.BIBTEX: (ExportStyle.PUBLISHED, ExportStyle.ARXIV),
    ExportFormat.MARKDOWN: (ExportStyle.CURATOR, ExportStyle.AWESOME, ExportStyle.PLAIN),
}
STYLE_HELP = (
    "markdown: curator (default: each list in its own layout), awesome (a plain awesome list) "
    "or plain (from the database alone); bibtex: published (default) or arxiv."
)


class InvalidStyle(HarvesterError, ValueError):
    """A --style the chosen --format does not have."""


def check_style(fmt: str, style: str | None) -> ExportStyle | None:
    """The style `fmt` is written in: `style` when the format has it, its default when None.

    The one place that knows which styles each format takes: InvalidStyle otherwise.
    """
    choices = STYLES.get(ExportFormat(fmt), ())
    if style is None:
        return choices[0] if choices else None
    if style not in choices:
        allowed = f"one of {', '.join(choices)}" if choices else "no --style"
        raise InvalidStyle(f"--format {fmt} takes {allowed}, not {str(style)!r}")
    return ExportStyle(style)
