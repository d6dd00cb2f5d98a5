"""Outside data that must not inject into the curator's markdown: redirect targets and arXiv titles.

A server's `Location` header and an arXiv title are written by strangers; `fix --write`
splices them into the curator's list, so what lands there must parse to the same links
plus the one intended change.
"""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from standins.web import LocalWeb, page, redirect

from harvester import mdescape
from harvester.fix import (
    FixPlan,
    _plan,
    _Source,
    _url_edit,
    apply_fix,
    stale_temp_files,
)
from harvester.links.verdicts import private_address
from harvester.store import open_db
from harvester.weburl import UnsafeUrl, is_malformed, web_url
from tests.cli import invoke

FAST_LINKS = {"HARVESTER_LINKS_DELAY": "0", "HARVESTER_LINKS_BACKOFF": "0.01", "HARVESTER_LINKS_TIMEOUT": "2"}
HOSTILE = "/new)](javascript:alert(document.domain)) [x](/y"


def links_of(text: str) -> list[str]:
    """Every link destination markdown-it finds, as a reader's renderer would see them."""
    md = MarkdownIt("commonmark").enable(["table"])
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    found = []
    for token in md.parse(text):
        for child in token.children or []:
            if child.type == "link_open":
                found.append(str(child.attrs["href"]))
    return found


def html_tokens(text: str) -> list[str]:
    md = MarkdownIt("commonmark").enable(["table"])
    tokens = md.parse(text)
    inline = [c for t in tokens for c in (t.children or [])]
    return [t.content for t in [*tokens, *inline] if t.type in ("html_block", "html_inline")]


def web_list(tmp_path: Path, urls: list[str], extra: str = "") -> tuple[Path, Path]:
    listing = tmp_path / "web.md"
    body = "".join(f"1. [Page {i}]({url}) and more\n" for i, url in enumerate(urls))
    listing.write_text("# Links\n\n" + body + extra, encoding="utf-8")
    db = tmp_path / "web.db"
    imported = invoke("import", str(listing), db=db)
    assert imported.returncode == 0, imported.stderr
    return listing, db


def check_then_fix(db: Path, listing: Path) -> tuple[subprocess.CompletedProcess[str], str]:
    checked = invoke("links", "--allow-private", "--json", db=db, env=FAST_LINKS)
    assert "Traceback" not in checked.stderr, checked.stderr
    fixed = invoke("fix", str(listing), "--write", db=db)
    assert fixed.returncode == 0, fixed.stderr
    assert "Traceback" not in fixed.stderr
    return checked, fixed.stderr


# ---------------------------------------------------------------- through the CLI


def test_a_hostile_permanent_redirect_never_reaches_the_markdown(tmp_path: Path, web: LocalWeb) -> None:
    web.route("/old", redirect(301, HOSTILE))
    # Whatever encoding a client gives the target, it answers: the move looks real.
    web.route("/new)](javascript:alert(document.domain))%20[x](/y", page("New"))
    web.route("/new)%5D(javascript:alert(document.domain))%20%5Bx%5D(/y", page("New"))
    old = web.url("/old")
    listing, db = web_list(tmp_path, [old])
    before = listing.read_text(encoding="utf-8")
    checked, _ = check_then_fix(db, listing)
    [row] = json.loads(checked.stdout)["links"]
    assert row["verdict"] != "moved" and row["suggestion"] is None
    after = listing.read_text(encoding="utf-8")
    assert after == before
    assert links_of(after) == [old]
    assert "javascript:" not in after


def test_a_redirect_to_javascript_is_not_a_move(tmp_path: Path, web: LocalWeb) -> None:
    web.route("/old", redirect(301, "javascript:alert(document.domain)"))
    listing, db = web_list(tmp_path, [web.url("/old")])
    before = listing.read_text(encoding="utf-8")
    checked, _ = check_then_fix(db, listing)
    [row] = json.loads(checked.stdout)["links"]
    assert row["verdict"] == "dead" and row["suggestion"] is None
    assert listing.read_text(encoding="utf-8") == before


def test_a_real_move_to_an_awkward_url_is_written_escaped(tmp_path: Path, web: LocalWeb) -> None:
    # Legal URL characters that mean something in markdown: an unbalanced parenthesis, an entity.
    target = "/wiki/Pruning)_x?a=1&amp;b=(2"
    web.route("/old", redirect(308, target))
    web.route("/wiki/Pruning)_x", page("Pruning"))
    old = web.url("/old")
    listing, db = web_list(tmp_path, [old], extra="\nSee <" + old + ">.\n")
    check_then_fix(db, listing)
    after = listing.read_text(encoding="utf-8")
    moved = web.url(target)
    assert links_of(after) == [moved, moved], after  # the inline link and the autolink
    assert after.count("and more") == 1


# ---------------------------------------------------------------- URL normalization


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://h.test/a b", "http://h.test/a%20b"),
        ("http://h.test/a]b[c", "http://h.test/a%5Db%5Bc"),
        ('http://h.test/"<x>"', "http://h.test/%22%3Cx%3E%22"),
        ("http://h.test/a\\b`c|d^e{f}", "http://h.test/a%5Cb%60c%7Cd%5Ee%7Bf%7D"),
        ("http://h.test/\x1b[31m\x7f", "http://h.test/%1B%5B31m%7F"),
        ("http://h.test/caf\u00e9?q=\u00fc", "http://h.test/caf%C3%A9?q=%C3%BC"),
        ("http://h.test/100%", "http://h.test/100%25"),
        ("http://h.test/100%2f%zz", "http://h.test/100%2f%25zz"),
        ("HTTPS://h.test/(a)?b=c&d='e'#f", "https://h.test/(a)?b=c&d='e'#f"),  # near miss: all legal
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),  # brackets of an IPv6 host stay
        ("http://b\u00fccher.test/", "http://xn--bcher-kva.test/"),
    ],
)
def test_web_url_percent_encodes_what_a_url_may_not_hold(raw: str, expected: str) -> None:
    assert web_url(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,x",
        "file:///etc/passwd",
        "//h.test/x",
        "/relative",
        "http://",
        "http://a b.test/",
        "http://h.test:99999/",
        "ftp://h.test/",
    ],
)
def test_web_url_refuses_what_is_not_an_http_url(raw: str) -> None:
    with pytest.raises(UnsafeUrl):
        web_url(raw)


@pytest.mark.parametrize(
    ("url", "malformed"),
    [
        ("HTTP://h.test/a(b)?c=d&e", False),
        ("https://h.test/caf\u00e9", False),
        ("https://h.test/%7e", False),
        ("https://h.test/a b", True),
        ("https://h.test/a]", True),
        ("https://h.test/a%zz", True),
        ("javascript:x", True),
    ],
)
def test_a_location_is_malformed_only_for_ascii_a_url_may_not_hold(url: str, malformed: bool) -> None:
    assert is_malformed(url) is malformed


# ---------------------------------------------------------------- markdown positions


AWKWARD = "https://h.test/a)b(c&amp;d&e=1"


def test_an_inline_destination_keeps_the_url_and_the_link() -> None:
    written = mdescape.url_in(mdescape.INLINE, AWKWARD)
    text = f"[x]({written}) tail [y](https://other.test/)"
    assert links_of(text) == [AWKWARD, "https://other.test/"]


def test_an_angle_destination_keeps_the_url() -> None:
    written = mdescape.url_in(mdescape.ANGLE, AWKWARD)
    assert links_of(f"[x](<{written}>)") == [AWKWARD]


def test_a_reference_definition_keeps_the_url() -> None:
    written = mdescape.url_in(mdescape.REFERENCE, AWKWARD)
    assert links_of(f"[x]\n\n[x]: {written}\n") == [AWKWARD]


def test_an_autolink_keeps_the_url_once_normalized() -> None:
    written = mdescape.url_in(mdescape.AUTOLINK, "https://h.test/a b<c>")
    assert links_of(f"see <{written}>.") == ["https://h.test/a%20b%3Cc%3E"]


def test_a_url_in_a_table_cell_does_not_split_the_row() -> None:
    written = mdescape.url_in(mdescape.INLINE, "https://h.test/a|b")
    assert links_of(f"| a | b |\n|---|---|\n| [x]({written}) | z |\n") == ["https://h.test/a%7Cb"]


@pytest.mark.parametrize(
    "position", [mdescape.INLINE, mdescape.ANGLE, mdescape.AUTOLINK, mdescape.REFERENCE, mdescape.BARE]
)
@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<script>", " javascript:x", "mailto:a@b.test"])
def test_no_position_takes_a_url_that_is_not_http(position: str, url: str) -> None:
    with pytest.raises(mdescape.UnsafeForMarkdown):
        mdescape.url_in(position, url)


@pytest.mark.parametrize("url", ["https://h.test/a)", "https://h.test/a.", "https://h.test/*x*", "https://h.test/_x_"])
def test_a_bare_url_that_markdown_would_cut_or_emphasize_is_refused(url: str) -> None:
    with pytest.raises(mdescape.UnsafeForMarkdown):
        mdescape.url_in(mdescape.BARE, url)


def test_a_plain_bare_url_is_kept() -> None:
    assert mdescape.url_in(mdescape.BARE, "https://h.test/some_page?x=1") == "https://h.test/some_page?x=1"


@pytest.mark.parametrize(
    "title",
    [
        "Deep Compression](https://evil.example/phish) [see arXiv",
        "A \\] backslash [ and `code` <script>alert(1)</script>",
        "Trailing backslash \\",
        "Entities &amp; &#60;b&#62; | pipes ~~struck~~ *em* _em_",
        "Two\nlines\n\n# and a heading",
    ],
)
def test_link_text_escaping_keeps_one_link_and_the_title(title: str) -> None:
    text = f"1. [{mdescape.link_text(title)}](https://arxiv.org/abs/1510.00149) end\n"
    assert links_of(text) == ["https://arxiv.org/abs/1510.00149"]
    assert html_tokens(text) == []
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    [inline] = [t for t in md.parse(text) if t.type == "inline"]
    children = inline.children or []
    end = next(i for i, c in enumerate(children) if c.type == "link_close")
    label = "".join(c.content for c in children[:end] if c.type in ("text", "code_inline"))
    assert label == " ".join(title.split())


# ---------------------------------------------------------------- fix, below the CLI


def test_fix_skips_a_moved_link_whose_target_cannot_be_written(tmp_path: Path) -> None:
    listing, _ = web_list(tmp_path, ["https://site.test/old"])
    finding = _moved_finding("https://site.test/old", "https://site.test/new)")
    source = _Source(listing.read_bytes())
    inline = _url_edit(source, {**finding, "entry_line": 3, "entry_end_line": 3})
    assert not isinstance(inline, str) and inline[2] == "https://site.test/new\\)"
    javascript = _url_edit(source, {**finding, "entry_line": 3, "entry_end_line": 3, "suggestion": "javascript:x"})
    assert isinstance(javascript, str) and "not an http" in javascript


def _moved_finding(url: str, suggestion: str) -> dict[str, object]:
    return {"key": f"moved_link:e:{url}", "kind": "moved_link", "line": 3, "noted": url, "suggestion": suggestion}


# ---------------------------------------------------------------- leftovers of a killed write


def test_fix_write_removes_temp_files_left_by_a_killed_write(tmp_path: Path) -> None:
    listing, db = web_list(tmp_path, ["https://site.test/x"])
    ours = [tmp_path / ".web.md.k1l2e3d4.tmp", tmp_path / ".web.md.bak.abc_1234.tmp"]
    theirs = [
        tmp_path / ".web.md.swp",
        tmp_path / ".other.md.k1l2e3d4.tmp",
        tmp_path / "web.md.tmp",
        tmp_path / ".web.md.notours.tmp.keep",
        tmp_path / ".web.md.has space.tmp",
    ]
    for path in ours + theirs:
        path.write_text("leftover", encoding="utf-8")
    assert sorted(stale_temp_files(listing)) == sorted(ours)
    plan = _plan_with_one_title_edit(db)
    apply_fix(plan)
    assert [p for p in ours if p.exists()] == []
    assert all(p.exists() for p in theirs)


def test_a_temp_file_still_being_written_is_not_removed(tmp_path: Path) -> None:
    listing, _ = web_list(tmp_path, ["https://site.test/x"])
    busy = tmp_path / ".web.md.busy0001.tmp"
    code = (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(busy)!r}, os.O_CREAT | os.O_WRONLY)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "print('locked', flush=True)\n"
        "time.sleep(60)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        assert stale_temp_files(listing) == []
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    assert stale_temp_files(listing) == [busy]


def _plan_with_one_title_edit(db_path: Path) -> FixPlan:
    db = open_db(db_path)
    [list_row] = list(db.query("SELECT * FROM lists"))
    entry = next(db.query("SELECT * FROM entries"))
    finding = {
        "key": "k",
        "kind": "title_typo",
        "line": entry["line"],
        "noted": "Page 0",
        "suggestion": "Page Zero",
        "entry_line": entry["line"],
        "entry_end_line": entry["end_line"],
    }
    return _plan(list_row, [finding])


# ---------------------------------------------------------------- NAT64 and other IPv4 inside IPv6


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::7f00:1",
        "64:ff9b::a00:1",
        "64:ff9b::c0a8:101",
        "64:ff9b::a9fe:a9fe",
        "64:ff9b:1::8.8.8.8",
        "64:ff9b:1::7f00:1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::1",
        "2002:c0a8:101::1",
        "::7f00:1",
    ],
)
def test_ipv6_that_embeds_a_private_ipv4_is_refused(address: str) -> None:
    assert private_address([address]) == address


@pytest.mark.parametrize("address", ["64:ff9b::808:808", "64:ff9b::1.1.1.1", "2606:4700::1111", "2002:808:808::1"])
def test_ipv6_that_embeds_a_public_ipv4_is_allowed(address: str) -> None:
    assert ipaddress.ip_address(address)
    assert private_address([address]) is None
