"""Code repository URLs compared as repositories, not as strings.

`https://github.com/ClovaAI/StatAssist-GradBoost/tree/master/`,
`http://www.github.com/clovaai/statassist-gradboost.git` and the plain
repository URL all name one repository. Pure.
"""

from __future__ import annotations

from urllib.parse import urlsplit

# Hosts whose owner and repository names are case-insensitive, and where the
# repository is the first two path segments (GitLab groups may nest deeper).
_TWO_SEGMENT_HOSTS = frozenset({"github.com", "bitbucket.org", "gitee.com"})
# Path parts that start a view inside a repository (a branch, a file, an issue list).
_VIEW_MARKERS = frozenset({"-", "tree", "blob", "src", "issues", "pulls", "wiki", "releases", "commits"})


def repo_key(url: str) -> str:
    """A comparable form: host (no www.) and repository path, case-folded, no scheme, `.git` or views."""
    text = url.strip()
    parts = urlsplit(text if "//" in text else "//" + text)
    host = (parts.hostname or "").casefold().removeprefix("www.")
    segments = [s for s in parts.path.split("/") if s]
    segments = segments[:2] if host in _TWO_SEGMENT_HOSTS else _until_view(segments)
    if segments:
        segments[-1] = segments[-1].removesuffix(".git")
    return "/".join([host, *segments]).casefold()


def same_repo(a: str, b: str) -> bool:
    return repo_key(a) == repo_key(b)


def _until_view(segments: list[str]) -> list[str]:
    for index, segment in enumerate(segments):
        if segment in _VIEW_MARKERS:
            return segments[:index]
    return segments
