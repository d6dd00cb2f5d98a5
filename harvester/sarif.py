"""Findings as a SARIF 2.1.0 log, for GitHub code scanning and other SARIF viewers.

One rule per finding kind (from `vocabulary.KINDS`: its name, meaning and action),
one result per finding with its level, the list's path relative to the lists' root
(`uriBaseId` ROOT) and its line. Rows come prepared by `report`. Pure: rows in, a
JSON-ready dict out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from . import __version__
from .vocabulary import KINDS, Severity

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
ROOT_BASE_ID = "ROOT"
LEVELS: dict[str, str] = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def rules() -> list[dict[str, Any]]:
    """Every kind harvester knows, so a result's ruleIndex is stable across runs."""
    return [
        {
            "id": kind.name,
            "name": "".join(part.capitalize() for part in kind.name.split("_")),
            "shortDescription": {"text": _sentence(kind.meaning)},
            "fullDescription": {"text": _sentence(kind.meaning)},
            "help": {"text": _help(kind.action)},
            "defaultConfiguration": {"level": LEVELS[kind.severity]},
            "properties": {"fixable": kind.fixable},
        }
        for kind in KINDS.values()
    ]


def log(rows: Iterable[Mapping[str, Any]], root_uri: str | None = None) -> dict[str, Any]:
    """The SARIF log: one run of harvester. `root_uri` (file:///...) says where ROOT is, if known."""
    rule_list = rules()
    index = {rule["id"]: i for i, rule in enumerate(rule_list)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "harvester",
                "version": __version__,
                "rules": rule_list,
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": [_result(row, index) for row in rows],
    }
    if root_uri:
        run["originalUriBaseIds"] = {ROOT_BASE_ID: {"uri": root_uri if root_uri.endswith("/") else root_uri + "/"}}
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def render(rows: Iterable[Mapping[str, Any]], root_uri: str | None = None) -> str:
    return json.dumps(log(rows, root_uri), ensure_ascii=False, indent=2) + "\n"


def _result(row: Mapping[str, Any], index: dict[str, int]) -> dict[str, Any]:
    kind = str(row.get("kind") or "")
    result: dict[str, Any] = {
        "ruleId": kind,
        "level": LEVELS.get(str(row.get("severity") or ""), "warning"),
        "message": {"text": _message(row)},
    }
    if kind in index:
        result["ruleIndex"] = index[kind]
    if row.get("list_path"):
        location: dict[str, Any] = {"artifactLocation": _artifact(str(row["list_path"]))}
        if row.get("line"):
            location["region"] = {"startLine": int(row["line"])}
        result["locations"] = [{"physicalLocation": location}]
    if row.get("key"):
        # Code scanning matches a result across runs by this: the finding's own stable key.
        result["partialFingerprints"] = {"harvesterKey/v1": str(row["key"])}
    return result


def _message(row: Mapping[str, Any]) -> str:
    action = str(row.get("action") or row.get("kind") or "")
    return f"{action}. {row['detail']}" if row.get("detail") else action


def _artifact(path: str) -> dict[str, str]:
    # A list outside the root keeps its absolute path (see paths.relative_to_root): a file URI.
    if PurePosixPath(path).is_absolute():
        return {"uri": PurePosixPath(path).as_uri()}
    # A relative reference: only the characters a URI cannot hold are percent-encoded.
    return {"uri": quote(path, safe="/-._~!$&'()*+,;=@"), "uriBaseId": ROOT_BASE_ID}


def _sentence(text: str) -> str:
    text = text.strip()
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _help(action: str) -> str:
    # The action is a template filled with a finding's values; the rule shows its shape.
    return "What to do: " + action.replace("{", "<").replace("}", ">")
