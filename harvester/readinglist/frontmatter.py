"""YAML front matter of a reading list: its top-level `key: value` pairs, as text.

A full YAML parser is not needed: lists only use flat keys (title, date, tags),
and nested or multi-line values are kept as text or left empty.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^---[ \t]*$")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$")
_KEY_CANNOT_START = ":#'\"-"
_BLANKS = " \t"
# A comment starts at a `#` after a space; the lookbehind enters each space run
# once, so a value with a long run of spaces is not scanned once per space.
_COMMENT = re.compile(r"(?<!\s)\s++#.*$")


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
        pair = _pair(line)
        if pair is not None:
            pairs[pair[0]] = _scalar(pair[1])
    return pairs


def _pair(line: str) -> tuple[str, str] | None:
    """`key: value` split at the first colon; the colon must end the line or be followed by a blank."""
    key, colon, value = line.partition(":")
    key = key.rstrip(_BLANKS)
    if not colon or not key or key[0].isspace() or key[0] in _KEY_CANNOT_START:
        return None
    if value and value[0] not in _BLANKS:
        return None
    return key, value.strip(_BLANKS)


def _scalar(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    return _COMMENT.sub("", value)
