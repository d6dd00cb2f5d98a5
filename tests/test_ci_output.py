"""CI-native output: GitHub annotations, SARIF 2.1.0 (checked against the official schema),
the markdown summary, and every path relative to the lists' root, `fix` diffs included."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

from harvester.annotations import annotation, escape_data, escape_property
from harvester.paths import relative_to_root
from harvester.vocabulary import KINDS
from tests.cli import invoke
from tests.seeddb import build_seed_db, seed_repository
from tests.standins.web import LocalWeb

SARIF_SCHEMA = Path(__file__).parent / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"
# The documented shape: ::LEVEL file=F,line=L,title=T::MESSAGE, one command per line.
WORKFLOW_COMMAND = re.compile(r"^::(error|warning|notice) file=([^,:]+),line=(\d+),title=([^,:]+)::(.*)$")


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A repository root holding a list in a sub-folder, its database reconciled: (root, list, db)."""
    return seed_repository(tmp_path / "repo", tmp_path / "h.db")


# --- paths ----------------------------------------------------------------------------------


def test_relative_to_root_names_a_file_under_the_root_with_forward_slashes(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert relative_to_root(tmp_path / "a" / "b" / "x.md", tmp_path) == "a/b/x.md"
    assert relative_to_root(str(tmp_path / "a" / ".." / "a" / "x.md"), tmp_path / "a" / "b" / "..") == "x.md"


def test_relative_to_root_sees_through_a_symlinked_root(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert relative_to_root(tmp_path / "real" / "x.md", tmp_path / "link") == "x.md"


def test_a_path_outside_the_root_stays_absolute(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    outside = tmp_path / "elsewhere.md"
    assert relative_to_root(outside, tmp_path / "root") == outside.resolve().as_posix()


# --- GitHub workflow commands -----------------------------------------------------------------


def test_workflow_command_data_and_properties_are_escaped_as_github_documents() -> None:
    assert escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    row = {
        "severity": "error",
        "list_path": "lists/odd, name: 100%.md",
        "line": 7,
        "kind": "title_mismatch",
        "action": 'Check the arXiv ID 1: "A, B"',
        "detail": "line one\nline two",
        "key": "k",
    }
    assert annotation(row) == (
        "::error file=lists/odd%2C name%3A 100%25.md,line=7,title=harvester title_mismatch"
        '::Check the arXiv ID 1: "A, B"%0Aline one%0Aline two%0Akey: k'
    )


def test_report_github_is_one_annotation_per_finding_on_its_relative_path_and_line(
    repo: tuple[Path, Path, Path],
) -> None:
    root, _, db = repo
    result = invoke("report", "--format", "github", db=db, cwd=root)
    assert result.returncode == 0, result.stderr
    findings = json.loads(invoke("report", "--format", "json", db=db, cwd=root).stdout)
    lines = result.stdout.splitlines()
    assert len(lines) == len(findings) == 28
    parsed = [WORKFLOW_COMMAND.match(line) for line in lines]
    assert all(parsed), [line for line, match in zip(lines, parsed, strict=True) if not match]
    levels = {"error": "error", "warning": "warning", "info": "notice"}
    expected = sorted(
        (levels[f["severity"]], "lists/model-compression.md", str(f["line"]), f"harvester {f['kind']}")
        for f in findings
    )
    assert sorted(m.groups()[:4] for m in parsed if m) == expected
    assert "::warning file=lists/model-compression.md,line=37,title=harvester date_mismatch::" in result.stdout
    assert "Change the date 2019-01-29 to 2019-06-29" in result.stdout


def test_report_github_fails_on_errors_like_the_other_formats(repo: tuple[Path, Path, Path]) -> None:
    root, _, db = repo
    assert invoke("report", "--format", "github", "--fail-on", "warning", db=db, cwd=root).returncode == 3
    assert invoke("report", "--format", "github", "--fail-on", "error", db=db, cwd=root).returncode == 0


# --- SARIF --------------------------------------------------------------------------------------


def test_report_sarif_validates_against_the_sarif_2_1_0_schema(repo: tuple[Path, Path, Path]) -> None:
    root, _, db = repo
    result = invoke("report", "--format", "sarif", db=db, cwd=root)
    assert result.returncode == 0, result.stderr
    log = json.loads(result.stdout)
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(log)  # raises with the first violation
    assert log["version"] == "2.1.0"


def test_an_invalid_log_is_refused_by_the_shipped_schema() -> None:
    # The check above can fail: the schema really constrains what we write.
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    broken = {"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": [{"level": "fatal"}]}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validators.validator_for(schema)(schema).validate(broken)


def test_sarif_has_one_rule_per_kind_and_results_on_relative_paths(repo: tuple[Path, Path, Path]) -> None:
    root, _, db = repo
    run = json.loads(invoke("report", "--format", "sarif", db=db, cwd=root).stdout)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == list(KINDS)
    typo = rules[list(KINDS).index("title_typo")]
    assert typo["help"]["text"] == "What to do: " + KINDS["title_typo"].action.replace("{", "<").replace("}", ">")
    assert typo["shortDescription"]["text"].startswith("The noted title")
    assert typo["defaultConfiguration"]["level"] == "warning"
    assert rules[list(KINDS).index("new_version")]["defaultConfiguration"]["level"] == "note"
    results = run["results"]
    assert len(results) == 28
    assert run["originalUriBaseIds"]["ROOT"]["uri"] == root.resolve().as_uri() + "/"
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {"uri": "lists/model-compression.md", "uriBaseId": "ROOT"}
        assert location["region"]["startLine"] >= 1
    date = next(r for r in results if r["ruleId"] == "date_mismatch")
    assert date["level"] == "warning" and date["locations"][0]["physicalLocation"]["region"]["startLine"] == 37
    assert date["message"]["text"].startswith("Change the date 2019-01-29 to 2019-06-29")
    assert {r["level"] for r in results} == {"warning", "note"}


# --- every output relative to the root ---------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "table", "markdown", "github", "sarif"])
def test_no_report_format_shows_an_absolute_path(repo: tuple[Path, Path, Path], fmt: str) -> None:
    root, _, db = repo
    result = invoke("report", "--format", fmt, db=db, cwd=root)
    assert result.returncode == 0, result.stderr
    assert "lists/model-compression.md" in result.stdout.replace("\\", "")
    text = result.stdout.replace(root.resolve().as_uri(), "ROOT-URI")  # SARIF's one statement of the root
    assert str(root.resolve()) not in text and str(root) not in text


def test_links_and_status_show_paths_relative_to_the_root(repo: tuple[Path, Path, Path], web: LocalWeb) -> None:
    root, listing, db = repo
    listing.write_text(listing.read_text(encoding="utf-8") + f"\n- [A page]({web.url('/gone')})\n", encoding="utf-8")
    assert invoke("import", str(listing), db=db, cwd=root).returncode == 0
    links = invoke("links", "--allow-private", "--json", db=db, cwd=root, env={"HARVESTER_LINKS_DELAY": "0"})
    assert links.returncode == 0, links.stderr
    uses = [entry for link in json.loads(links.stdout)["links"] for entry in link["entries"]]
    assert uses and {entry["list"] for entry in uses} == {"lists/model-compression.md"}
    table = invoke("links", "--allow-private", "--all", db=db, cwd=root, env={"HARVESTER_LINKS_DELAY": "0"})
    assert "lists/model-compression.md:" in table.stdout
    status = invoke("status", "--json", db=root / ".." / "h.db", cwd=root)
    assert json.loads(status.stdout)["database"] == (root.parent / "h.db").resolve().as_posix()  # outside the root
    inside = root / "db" / "h.db"
    inside.parent.mkdir()
    shutil.copyfile(db, inside)
    assert json.loads(invoke("status", "--json", db=inside, cwd=root).stdout)["database"] == "db/h.db"


# --- fix diffs apply with git from the root ----------------------------------------------------


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root.parent), "PATH": "/usr/bin:/bin:/usr/local/bin"}
    return subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True, check=False)


def test_a_fix_diff_applies_with_git_apply_from_the_root(repo: tuple[Path, Path, Path]) -> None:
    root, listing, db = repo
    assert _git(root, "init", "-q").returncode == 0
    assert _git(root, "add", "-A").returncode == 0
    before = listing.read_bytes()
    result = invoke("fix", db=db, cwd=root)
    assert result.returncode == 0, result.stderr
    diff = result.stdout
    assert "--- a/lists/model-compression.md\n+++ b/lists/model-compression.md\n" in diff
    patch = root.parent / "fix.patch"
    patch.write_text(diff, encoding="utf-8")
    check = _git(root, "apply", "--check", str(patch))
    assert check.returncode == 0, check.stderr
    applied = _git(root, "apply", str(patch))
    assert applied.returncode == 0, applied.stderr
    fixed = listing.read_bytes()
    assert fixed != before and b"Trained Rank Pruning" in fixed and b"cn.arxiv.org" not in fixed
    # Exactly what `fix --write` would have written.
    reference = root.parent / "reference"
    (reference / "lists").mkdir(parents=True)
    copy = reference / "lists" / "model-compression.md"
    copy.write_bytes(before)
    db2 = build_seed_db(root.parent / "h2.db", listing=copy)
    assert invoke("reconcile", db=db2).returncode == 0
    assert invoke("fix", str(copy), "--write", db=db2, cwd=reference).returncode == 0
    assert copy.read_bytes() == fixed
