"""Accepting a finding on purpose: hidden from report and --fail-on until its values change."""

from __future__ import annotations

import hashlib
import json
import subprocess
import tomllib
from pathlib import Path

import pytest

from harvester.acceptances import Acceptance, AcceptFileError, parse, read_file, render, toml_string
from harvester.store import open_db
from tests.cli import ROOT, invoke, run_cli
from tests.seeddb import build_seed_db

TYPO_KEY = "1:arxiv:1910.04576:title_typo"
OTHER_KEY = "1:arxiv:1510.00149:title_typo"
LIST = (
    "# Pruning\n\n"
    "1. [{title}](https://arxiv.org/abs/1910.04576)  \n*2019-10-09*\n\n"
    "1. [Deep Compression: Compressing Deep Neural Network with Pruning, Trained Quantization and Huffman Coding]"
    "(https://arxiv.org/abs/1510.00149)  \n*2015-10-01*\n"
)
FIRST_TYPO = "Traned Rank Pruning for Efficient Deep Neural Networks"


def write_list(folder: Path, title: str = FIRST_TYPO) -> Path:
    listing = folder / "pruning.md"
    listing.write_text(LIST.format(title=title), encoding="utf-8")
    return listing


@pytest.fixture
def lists(tmp_path: Path) -> Path:
    folder = tmp_path / "lists"
    folder.mkdir()
    return folder


@pytest.fixture
def db(tmp_path: Path, lists: Path) -> Path:
    path = build_seed_db(tmp_path / "h.db", listing=write_list(lists))
    reconciled(path, tmp_path)
    return path


def harvester(*args: str, db: Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    # From the checkout (so this worktree's harvester runs); it holds no acceptance file.
    assert not (ROOT / "harvester-accept.toml").exists()
    return invoke(*args, db=db)  # in this process; the unaccept test below runs a real one


def reconciled(db: Path, cwd: Path) -> None:
    result = harvester("reconcile", db=db, cwd=cwd)
    assert result.returncode == 0, result.stderr


def report_keys(db: Path, cwd: Path) -> set[str]:
    result = harvester("report", "--format", "json", db=db, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return {row["key"] for row in json.loads(result.stdout)}


def accepted(db: Path, cwd: Path, key: str, reason: str = "kept on purpose") -> None:
    result = harvester("accept", key, "--reason", reason, db=db, cwd=cwd)
    assert result.returncode == 0, result.stderr


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_accepted_finding_is_hidden_everywhere_and_comes_back_when_its_values_change(
    db: Path, lists: Path, tmp_path: Path
) -> None:
    markdown = harvester("report", "--format", "markdown", db=db, cwd=tmp_path).stdout
    assert f"| `{TYPO_KEY}` |" in markdown  # a person can copy it from the markdown report
    assert TYPO_KEY in report_keys(db, tmp_path)

    accepted(db, tmp_path, TYPO_KEY, "the list keeps the author's spelling")
    assert (lists / "harvester-accept.toml").exists()  # beside the lists
    assert TYPO_KEY not in report_keys(db, tmp_path)
    assert OTHER_KEY in report_keys(db, tmp_path)
    markdown = harvester("report", "--format", "markdown", db=db, cwd=tmp_path)
    assert TYPO_KEY not in markdown.stdout and "Traned" not in markdown.stdout
    assert "1 accepted finding hidden" in markdown.stderr
    table = harvester("report", db=db, cwd=tmp_path).stdout
    assert "Trained Rank Pruning" not in table and "Deep Compression" in table

    # With the other warning accepted too, --fail-on warning has nothing left to fail on.
    assert harvester("report", "--fail-on", "warning", db=db, cwd=tmp_path).returncode == 3
    accepted(db, tmp_path, OTHER_KEY)
    assert harvester("report", "--fail-on", "warning", db=db, cwd=tmp_path).returncode == 0
    assert harvester("reconcile", "--fail-on", "warning", db=db, cwd=tmp_path).returncode == 0
    assert harvester("report", "--fail-on", "info", db=db, cwd=tmp_path).returncode == 3

    # The note is edited to another typo: a different disagreement, reported again.
    write_list(lists, "Trained Rank Prunning for Efficient Deep Neural Networks")
    assert harvester("import", str(lists), db=db, cwd=tmp_path).returncode == 0
    assert harvester("reconcile", "--fail-on", "warning", db=db, cwd=tmp_path).returncode == 3
    assert TYPO_KEY in report_keys(db, tmp_path)
    assert harvester("report", "--fail-on", "warning", db=db, cwd=tmp_path).returncode == 3
    listed = json.loads(harvester("accept", "--list", "--json", db=db, cwd=tmp_path).stdout)
    assert {a["key"]: a["state"] for a in listed["acceptances"]} == {TYPO_KEY: "changed", OTHER_KEY: "applies"}


def test_acceptance_file_round_trips_byte_stable(db: Path, lists: Path, tmp_path: Path) -> None:
    file = lists / "harvester-accept.toml"
    accepted(db, tmp_path, TYPO_KEY, 'a "quoted" reason\twith a tab, a \\ and 中文')
    accepted(db, tmp_path, OTHER_KEY)
    assert harvester("unaccept", TYPO_KEY, db=db, cwd=tmp_path).returncode == 0
    accepted(db, tmp_path, TYPO_KEY, 'a "quoted" reason\twith a tab, a \\ and 中文')
    text = file.read_text(encoding="utf-8")
    assert render(read_file(file)) == text
    parsed = tomllib.loads(text)["accept"]
    assert [a["key"] for a in parsed] == sorted([TYPO_KEY, OTHER_KEY])
    assert parsed[1]["reason"] == 'a "quoted" reason\twith a tab, a \\ and 中文'
    before = file.read_bytes()
    # Re-accepting the same finding only replaces its entry; listing reads without writing.
    assert harvester("accept", "--list", db=db, cwd=tmp_path).returncode == 0
    assert file.read_bytes() == before


def test_unaccept_as_a_process_of_its_own_brings_the_finding_back(db: Path, lists: Path, tmp_path: Path) -> None:
    accepted(db, tmp_path, TYPO_KEY)
    accepted(db, tmp_path, OTHER_KEY)
    assert TYPO_KEY not in report_keys(db, tmp_path)
    result = run_cli("unaccept", TYPO_KEY, db=db)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert [a.key for a in read_file(lists / "harvester-accept.toml")] == [OTHER_KEY]
    assert TYPO_KEY in report_keys(db, tmp_path)


def test_writer_escapes_every_string_tomllib_reads_back() -> None:
    hostile = 'q"b\\s\x00\x1f\x7f\n\r\x08\x0c\ttab \u2028 中文 \U0001f600 """'
    assert tomllib.loads(f"v = {toml_string(hostile)}")["v"] == hostile
    made = [
        Acceptance(
            key="1:text:abc:duplicate_entry",
            list="../a b.md",
            reason=hostile,
            accepted_at="2026-01-01T00:00:00Z",
            kind="duplicate_entry",
        ),
        Acceptance(
            key="0:a", list="x.md", reason="r", accepted_at="t", kind="k", noted="", arxiv_value="v", suggestion="s"
        ),
    ]
    text = render(made)
    assert parse(text.encode(), Path("f.toml")) == sorted(made, key=lambda a: a.key)
    assert render(parse(text.encode(), Path("f.toml"))) == text


MALFORMED = [
    ('[[accept]]\nkey = "1:x"\nreason = \n', "line 3"),
    ('[[accept]]\nkey = "1:x"\nlist = "a.md"\nreason = "r"\naccepted_at = "t"\n', "missing field 'kind'"),
    (
        '[[accept]]\nkey = "1:x"\nlist = "a.md"\nreason = "r"\naccepted_at = "t"\nkind = "k"\ncolour = "red"\n',
        "unknown field 'colour'",
    ),
    ('[[accept]]\nkey = 3\nlist = "a.md"\nreason = "r"\naccepted_at = "t"\nkind = "k"\n', "'key' must be a string"),
    ("accept = 1\n", "array of tables"),
    ('title = "x"\n', "unknown top-level key"),
    ('[[accept]]\nkey = "1:x"\nlist = "a.md"\nreason = "  "\naccepted_at = "t"\nkind = "k"\n', "'reason' is empty"),
]


def assert_refused(db: Path, file: Path, problem: str, *command: str) -> None:
    before = (sha256(file), sha256(db))
    result = harvester(*command, db=db)
    assert result.returncode == 1, (command, result.stdout)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(file) in lines[0] and problem in lines[0], (command, result.stderr)
    assert (sha256(file), sha256(db)) == before, command


@pytest.mark.parametrize(("content", "problem"), MALFORMED)
def test_malformed_file_is_one_error_naming_it_and_changes_nothing(
    db: Path, lists: Path, content: str, problem: str
) -> None:
    file = lists / "harvester-accept.toml"
    file.write_text(content, encoding="utf-8")
    assert_refused(db, file, problem, "accept", TYPO_KEY, "--reason", "r")


def test_every_command_refuses_a_malformed_file_before_writing(db: Path, lists: Path) -> None:
    file = lists / "harvester-accept.toml"
    file.write_bytes(b'[[accept]]\nkey = "\xff"\n')
    for command in (
        ["unaccept", "1:x"],
        ["accept", "--list"],
        ["report"],
        ["reconcile"],
        ["import", str(lists)],
        ["status"],
        ["refresh", str(lists), "--no-links", "--no-enrich"],
    ):
        assert_refused(db, file, "not UTF-8", *command)


def test_duplicate_keys_are_malformed(tmp_path: Path) -> None:
    block = '[[accept]]\nkey = "1:x"\nlist = "a.md"\nreason = "r"\naccepted_at = "t"\nkind = "k"\n'
    with pytest.raises(AcceptFileError, match="accepted twice"):
        parse((block + block).encode(), tmp_path / "f.toml")


def test_status_list_and_unknown_keys(db: Path, lists: Path, tmp_path: Path) -> None:
    accepted(db, tmp_path, TYPO_KEY, "author's spelling")
    state = json.loads(harvester("status", "--json", db=db, cwd=tmp_path).stdout)
    assert state["counts"]["accepted findings"] == 1
    assert state["attention"]["findings (warnings)"] == 1  # the other typo only
    assert "accepted findings" in harvester("status", db=db, cwd=tmp_path).stdout

    listed = harvester("accept", "--list", db=db, cwd=tmp_path)
    assert listed.returncode == 0 and TYPO_KEY in listed.stdout and "author's spelling" in listed.stdout
    [row] = json.loads(harvester("accept", "--list", "--json", db=db, cwd=tmp_path).stdout)["acceptances"]
    assert (row["key"], row["list"], row["state"], row["noted"]) == (TYPO_KEY, "pruning.md", "applies", FIRST_TYPO)

    file = lists / "harvester-accept.toml"
    before = (sha256(file), sha256(db))
    unknown = harvester("unaccept", "1:arxiv:0000.00000:title_typo", db=db, cwd=tmp_path)
    assert unknown.returncode == 1 and "no acceptance" in unknown.stderr and "Traceback" not in unknown.stderr
    refused = harvester("accept", "1:arxiv:0000.00000:title_typo", "--reason", "x", db=db, cwd=tmp_path)
    assert refused.returncode == 1 and "no open finding" in refused.stderr
    no_reason = harvester("accept", OTHER_KEY, "--reason", "  ", db=db, cwd=tmp_path)
    assert no_reason.returncode == 1 and "--reason" in no_reason.stderr
    assert harvester("accept", OTHER_KEY, db=db, cwd=tmp_path).returncode == 2
    assert (sha256(file), sha256(db)) == before

    assert harvester("unaccept", TYPO_KEY, db=db, cwd=tmp_path).returncode == 0
    assert TYPO_KEY in report_keys(db, tmp_path)
    assert json.loads(harvester("status", "--json", db=db, cwd=tmp_path).stdout)["counts"]["accepted findings"] == 0


def test_database_mirrors_the_file(db: Path, tmp_path: Path) -> None:
    accepted(db, tmp_path, TYPO_KEY, "why")
    rows = json.loads(
        harvester(
            "query", "SELECT key, list, reason, noted FROM acceptances", "--format", "json", db=db, cwd=tmp_path
        ).stdout
    )
    assert rows == [{"key": TYPO_KEY, "list": "pruning.md", "reason": "why", "noted": FIRST_TYPO}]


def test_rebuilt_database_still_hides_the_accepted_finding(db: Path, lists: Path, tmp_path: Path) -> None:
    accepted(db, tmp_path, TYPO_KEY)
    # Rebuilt with another list imported first: the list ids change, the acceptance still applies.
    (lists / "aaa.md").write_text("# Other\n\n1. [Something](https://example.org/x)\n", encoding="utf-8")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    assert harvester("import", str(lists / "aaa.md"), db=db).returncode == 0
    rebuilt = build_seed_db(db, listing=lists / "pruning.md")
    reconciled(rebuilt, tmp_path)
    keys = report_keys(rebuilt, tmp_path)
    assert "2:arxiv:1510.00149:title_typo" in keys  # the list has a new id
    assert not any(key.endswith("1910.04576:title_typo") for key in keys)
    state = json.loads(harvester("status", "--json", db=rebuilt, cwd=tmp_path).stdout)
    assert state["counts"]["accepted findings"] == 1


def test_accept_file_option_and_environment(db: Path, tmp_path: Path) -> None:
    chosen = tmp_path / "elsewhere" / "mine.toml"
    result = harvester("--accept-file", str(chosen), "accept", TYPO_KEY, "--reason", "r", db=db, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert chosen.exists() and not (tmp_path / "lists" / "harvester-accept.toml").exists()
    assert TYPO_KEY in report_keys(db, tmp_path)  # the default file knows nothing of it
    hidden = invoke("report", "--format", "json", db=db, env={"HARVESTER_ACCEPT_FILE": str(chosen)})
    assert TYPO_KEY not in {row["key"] for row in json.loads(hidden.stdout)}


def test_refresh_reads_the_file_beside_the_lists_into_the_database(db: Path, lists: Path) -> None:
    accepted(db, ROOT, TYPO_KEY, "why")
    invoke("query", "DELETE FROM acceptances", db=db)  # refused (read-only): the mirror stays
    with open_db(db) as database:
        database.execute("DELETE FROM acceptances")
        database.conn.commit()
    result = invoke(
        "refresh",
        str(lists),
        "--no-links",
        "--no-enrich",
        db=db,
        env={
            "HARVESTER_ARXIV_URL": "http://127.0.0.1:9/api/query",
            "HARVESTER_ARXIV_ATTEMPTS": "1",
            "HARVESTER_ARXIV_TIMEOUT": "2",
        },
    )
    assert "NameError" not in result.stderr and "unexpected" not in result.stderr, result.stderr
    rows = json.loads(harvester("query", "SELECT key FROM acceptances", "--format", "json", db=db).stdout)
    assert rows == [{"key": TYPO_KEY}]
