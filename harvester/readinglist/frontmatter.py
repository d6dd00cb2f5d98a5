"""YAML front matter of a reading list: its top-level `key: value` pairs, as text.

A full YAML parser is not needed: lists only use flat keys (title, date, tags),
and nested or multi-line values are kept as text or left empty.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^---[ \t]*$")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$")
_PAIR = re.compile(r"^(?P<key>[^\s:#'\"-][^:]*?)[ \t]*:(?:[ \t]+(?P<value>.*?))?[ \t]*$")
_COMMENT = re.compile(r"\s+#.*$")


def split_front_matter(lines: list[str]) -> tuple[dict[str, str], int]:
    """The front matter's pairs and how many leading lines it takes (0 when there is none)."""
    if not lines or not _FENCE.match(lines[0].lstrip("\ufeff")):
        return {}, 0
    for index in range(1, len(lines)):
        if _CLOSE.match(lines[index]):
            return _pairs(lines[1:index]), index + 1
    return {}, 0


def _pairs(lines: list[str]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for line in lines:
        match = _PAIR.match(line)
        if match:
            pairs[match.group("key")] = _scalar(match.group("value") or "")
    return pairs


def _scalar(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    return _COMMENT.sub("", value)
