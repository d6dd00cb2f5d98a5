"""`harvester serve`: the dashboard as a real process on loopback, against a refreshed seed database."""

from __future__ import annotations

import re
import shutil
import socket
import sqlite3
import struct
import subprocess
import sys
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from html import escape, unescape
from pathlib import Path

import pytest

from tests.cli import ROOT, invoke
from tests.seeddb import SEED
from tests.standins.arxiv import ArxivStandIn
from tests.standins.web import LocalWeb, page, redirect
from tests.test_refresh import ONLY_LOCAL, env_for
from tests.waiting import wait_until

CHROMIUM = Path("/usr/bin/chromium")
TYPO = "Traned Rank Pruning"  # a title_typo in the seed, fixed between the two refreshes


def build_refreshed_seed(folder: Path) -> Path:
    """The seed list and a small list of local links, refreshed twice with a fix and an acceptance in between."""
    lists = folder / "lists"
    lists.mkdir(parents=True)
    shutil.copyfile(SEED, lists / "model-compression.md")
    db = folder / "dashboard.db"  # not harvester.db: the dashboard works with any name
    with ArxivStandIn() as arxiv, LocalWeb() as web:
        web.route("/tool", page("A tool"))
        web.route("/old-home", redirect(301, "/new-home"))
        web.route("/new-home", page("New home"))
        web.route("/gone", page("Gone", status=404))
        (lists / "tools.md").write_text(
            '# Further reading\n\n## Quantization & "low-bit" <nets>\n\n'
            f"1. [And the Bit Goes Down](https://arxiv.org/abs/1907.05686) [code]({web.url('/tool')})\n"
            f"1. [A moved home page]({web.url('/old-home')})\n"
            f"1. [A page that is gone]({web.url('/gone')})\n",
            encoding="utf-8",
        )
        env = env_for(arxiv)
        for run in range(2):
            result = invoke("refresh", str(lists), *ONLY_LOCAL, db=db, env=env)
            assert result.returncode in (0, 1), result.stderr
            if run == 0:
                (key,) = query(db, "SELECT key FROM findings WHERE kind = 'venue_mismatch' AND resolved_at IS NULL")[0]
                assert invoke("accept", key, "--reason", "the workshop, on purpose", db=db).returncode == 0
                listing = lists / "model-compression.md"
                listing.write_text(
                    listing.read_text(encoding="utf-8").replace(TYPO, "Trained Rank Pruning"), encoding="utf-8"
                )
    return db


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode("utf-8")


def answers(url: str) -> bool:
    try:
        fetch(url)
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_refreshed_seed(tmp_path_factory.mktemp("dashboard"))


@pytest.fixture(scope="module")
def dashboard(refreshed: Path) -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "harvester", "serve", "--db", str(refreshed), "--port", str(port)],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: answers(f"{base}/-/versions.json") or server.poll() is not None, "harvester serve")
        assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def query(db: Path, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def svg(html: str, chart: str) -> str:
    match = re.search(rf'<svg class="chart" data-chart="{chart}".*?</svg>', html, re.S)
    assert match, f"no {chart} chart"
    return match.group(0)


def marks(svg_text: str) -> int:
    return len(re.findall(r'<rect class="mark"', svg_text))


def drawn(svg_text: str) -> set[tuple[str, str, int]]:
    """(category, series, value) of every mark, as the chart's data attributes say."""
    found = re.findall(
        r'<rect class="mark"[^>]*data-category="([^"]*)" data-series="([^"]*)" data-value="(\d+)"', svg_text
    )
    return {(unescape(c), unescape(s), int(v)) for c, s, v in found}


def list_id(db: Path, name: str) -> int:
    return query(db, "SELECT id FROM lists WHERE name = ?", name)[0][0]


def test_start_page_lists_each_list_with_its_health(dashboard: str, refreshed: Path) -> None:
    html = fetch(f"{dashboard}/")
    rows = re.findall(r'<tr class="hv-list">(.*?)</tr>', html, re.S)
    assert len(rows) == 2
    for name in ("model-compression.md", "tools.md"):
        row = next(r for r in rows if f'/dashboard/-/list/{list_id(refreshed, name)}"' in r)
        papers = query(
            refreshed,
            "SELECT count(*) FROM entries e JOIN lists l ON l.id = e.list_id"
            " WHERE l.name = ? AND e.is_paper = 1 AND e.removed_at IS NULL",
            name,
        )[0][0]
        by_severity = dict(
            query(
                refreshed,
                "SELECT severity, count(*) FROM findings f JOIN lists l ON l.id = f.list_id"
                " WHERE l.name = ? AND resolved_at IS NULL AND key NOT IN (SELECT key FROM acceptances)"
                " GROUP BY severity",
                name,
            )
        )
        accepted = query(
            refreshed,
            "SELECT count(*) FROM findings f JOIN lists l ON l.id = f.list_id"
            " WHERE l.name = ? AND resolved_at IS NULL AND key IN (SELECT key FROM acceptances)",
            name,
        )[0][0]
        dead = query(
            refreshed,
            "SELECT count(DISTINCT k.url) FROM links k JOIN entry_links el ON el.url = k.url"
            " JOIN entries e ON e.id = el.entry_id JOIN lists l ON l.id = e.list_id"
            " WHERE l.name = ? AND k.verdict = 'dead'",
            name,
        )[0][0]
        numbers = [int(n) for n in re.findall(r'<td class="n[^"]*">(\d+)</td>', row)]
        severities = [by_severity.get(s, 0) for s in ("error", "warning", "info")]
        assert numbers == [papers, *severities, accepted, dead]
        assert papers and dead  # the local 404 and, in the seed, retired mirrors
        assert accepted == (name == "model-compression.md")
    last = query(refreshed, "SELECT id, ended_at FROM runs ORDER BY id DESC LIMIT 1")[0]
    assert f"run #{last[0]}" in html and last[1][:16] in html


def test_start_page_charts_have_one_mark_per_data_point(dashboard: str, refreshed: Path) -> None:
    html = fetch(f"{dashboard}/")
    open_by_run_and_kind = query(
        refreshed,
        """
        SELECT '#' || r.id, f.kind, count(*) FROM runs r, findings f, finding_events ev
        WHERE ev.finding_id = f.id
          AND ev.id = (SELECT max(e2.id) FROM finding_events e2 WHERE e2.finding_id = f.id
                       AND e2.id <= r.finding_events_upto)
          AND ev.event != 'resolved'
        GROUP BY r.id, f.kind
        """,
    )
    findings_chart = svg(html, "findings-over-runs")
    assert marks(findings_chart) == len(open_by_run_and_kind) > 0
    assert drawn(findings_chart) == set(open_by_run_and_kind)
    # The typo fixed between the runs: one title_typo fewer after the second.
    typos = {run: count for run, kind, count in open_by_run_and_kind if kind == "title_typo"}
    assert typos["#1"] == typos["#2"] + 1

    latest_verdicts = query(
        refreshed,
        """
        SELECT '#' || r.id, c.verdict, count(*) FROM runs r JOIN link_checks c
        WHERE c.id = (SELECT max(c2.id) FROM link_checks c2
                      WHERE c2.url = c.url AND c2.counted = 1 AND c2.id <= r.link_checks_upto)
        GROUP BY r.id, c.verdict
        """,
    )
    links_chart = svg(html, "link-verdicts-over-runs")
    assert marks(links_chart) == len(latest_verdicts) > 0
    assert drawn(links_chart) == set(latest_verdicts)
    assert 'data-series="dead"' in links_chart and 'data-series="ok"' in links_chart


def test_list_page_groups_findings_by_section_with_links(dashboard: str, refreshed: Path) -> None:
    seed = list_id(refreshed, "model-compression.md")
    html = fetch(f"{dashboard}/dashboard/-/list/{seed}")
    findings = query(
        refreshed, "SELECT section, line, arxiv_id FROM findings WHERE list_id = ? AND resolved_at IS NULL", seed
    )
    assert len(re.findall(r'<tr class="hv-finding[ "]', html)) == len(findings) > 0
    accepted = re.findall(r'<tr class="hv-finding accepted".*?</tr>', html, re.S)
    assert len(accepted) == 1 and "venue_mismatch" in accepted[0] and "(accepted)" in accepted[0]
    headings = re.findall(r"<h3>(.*?)</h3>", html)
    assert set(headings) == {f[0] for f in findings}
    positions = dict(query(refreshed, "SELECT path, position FROM sections WHERE list_id = ?", seed))
    assert headings == sorted(headings, key=lambda s: positions[s])  # in the list's order
    for _, line, arxiv_id in findings:
        assert f'href="/dashboard/-/at/{seed}/{line}"' in html
        if arxiv_id:
            assert f'<a href="https://arxiv.org/abs/{arxiv_id}">{arxiv_id}</a>' in html

    years = query(
        refreshed,
        """
        SELECT substr(p.published, 1, 4), e.section, count(DISTINCT e.arxiv_id)
        FROM entries e JOIN papers p ON p.arxiv_id = e.arxiv_id
        WHERE e.list_id = ? AND e.is_paper = 1 AND e.removed_at IS NULL GROUP BY 1, 2
        """,
        seed,
    )
    chart = svg(html, "papers-per-year")
    assert marks(chart) == len(years) > 1
    assert drawn(chart) == set(years)


def test_names_from_the_lists_are_escaped_in_pages_and_charts(dashboard: str, refreshed: Path) -> None:
    tools = list_id(refreshed, "tools.md")
    (section,) = {r[0] for r in query(refreshed, "SELECT section FROM entries WHERE list_id = ?", tools)}
    assert "&" in section and '"' in section
    html = fetch(f"{dashboard}/dashboard/-/list/{tools}")
    assert f'data-series="{escape(section)}"' in svg(html, "papers-per-year")
    assert section not in html  # never raw


def test_table_cells_link_ids_urls_and_places(dashboard: str, refreshed: Path) -> None:
    html = fetch(f"{dashboard}/dashboard/link_problems")
    dead = query(refreshed, "SELECT url FROM links WHERE verdict = 'dead'")[0][0]
    assert f'<a href="{dead}" rel="nofollow noopener">{dead}</a>' in html
    place = re.search(r'<a href="(/dashboard/-/at/tools\.md/(\d+))">tools\.md:\2</a>', html)
    assert place, "used_at is not linked"
    with urllib.request.urlopen(f"{dashboard}{place.group(1)}", timeout=10) as response:
        entry = response.url.rsplit("/", 1)[1]  # followed the redirect to the entry's row
        assert response.url.startswith(f"{dashboard}/dashboard/entries/")
    line = int(place.group(2))
    assert query(refreshed, "SELECT line <= ? AND end_line >= ? FROM entries WHERE id = ?", line, line, int(entry)) == [
        (1,)
    ]

    findings = fetch(f"{dashboard}/dashboard/open_findings?kind=title_outdated")
    arxiv_id = query(refreshed, "SELECT arxiv_id FROM findings WHERE kind = 'title_outdated' AND resolved_at IS NULL")
    assert arxiv_id and f'<a href="https://arxiv.org/abs/{arxiv_id[0][0]}">{arxiv_id[0][0]}</a>' in findings


def test_internal_tables_are_hidden_and_the_metadata_applies_to_any_file_name(dashboard: str) -> None:
    import json

    tables = {t["name"]: t for t in json.loads(fetch(f"{dashboard}/dashboard.json"))["tables"]}
    for internal in ("_sqlite_migrations", "raw_entries", "finding_events", "papers_fts", "papers_fts_data"):
        assert tables[internal]["hidden"], internal
    for shown in ("entries", "papers", "findings", "links", "runs"):
        assert not tables[shown]["hidden"], shown
    index = fetch(f"{dashboard}/dashboard")
    assert "_sqlite_migrations" not in index.split("hidden table")[0]
    page_html = fetch(f"{dashboard}/dashboard/reading_list")
    assert "the curator&#39;s title, date and venue beside arXiv&#39;s" in page_html
    assert "Titles that differ from arXiv" in fetch(f"{dashboard}/dashboard")


def test_a_missing_list_is_a_404(dashboard: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as error:
        fetch(f"{dashboard}/dashboard/-/list/999")
    assert error.value.code == 404


def png_colours(png: bytes) -> set[bytes]:
    """The distinct pixel values of an 8-bit RGB or RGBA PNG, decoded with the standard library."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, header = 8, b"", b""
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind, body = png[position + 4 : position + 8], png[position + 8 : position + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        position += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour_type in (2, 6), (depth, colour_type)
    channels = 3 if colour_type == 2 else 4
    stride = width * channels
    raw = zlib.decompress(idat)
    previous = bytearray(stride)
    colours: set[bytes] = set()
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, up_left = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 0xFF
        colours.update(bytes(line[i : i + channels]) for i in range(0, stride, channels * 7))
        previous = line
    return colours


def screenshot(url: str, png: Path, profile: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            "--window-size=1280,900",
            url,
        ],
        capture_output=True,
        timeout=90,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (.ci/run installs it)")
def test_a_headless_browser_draws_the_start_page(dashboard: str, tmp_path: Path) -> None:
    png = tmp_path / "start.png"
    result = screenshot(f"{dashboard}/", png, tmp_path / "profile")
    assert result.returncode == 0 and png.exists(), result.stderr.decode(errors="replace")[-2000:]
    colours = png_colours(png.read_bytes())
    assert len(colours) > 10  # text, table lines and the charts' colours, not a blank page


def test_serve_refuses_a_missing_database_in_one_line(tmp_path: Path) -> None:
    result = invoke("serve", "--db", str(tmp_path / "nothing.db"))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "nothing.db" in result.stderr


def test_serve_without_datasette_says_how_to_get_it(shared_seed_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *rest: None if name == "datasette" else find_spec(name, *rest)
    )
    result = invoke("serve", "--db", str(shared_seed_db))
    assert result.returncode == 1
    assert result.stderr.strip() == "error: the dashboard needs Datasette: pip install 'arxiv-harvester[dashboard]'"


def test_datasette_on_other_files_keeps_its_own_index_and_cells(tmp_path: Path) -> None:
    import asyncio

    from datasette.app import Datasette

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (arxiv_id TEXT, line INTEGER, list TEXT)")
        conn.execute("INSERT INTO t VALUES ('1907.05642', 3, 'x.md')")

    async def pages() -> tuple[str, str, dict]:
        datasette = Datasette([str(other)])  # the plugin comes in through its entry point
        await datasette.invoke_startup()
        index = await datasette.client.get("/")
        table = await datasette.client.get("/other/t")
        metadata = await datasette.client.get("/-/metadata.json")
        assert index.status_code == table.status_code == 200
        return index.text, table.text, metadata.json()

    index, table, metadata = asyncio.run(pages())
    assert "<h1>Datasette</h1>" in index and 'href="/other"' in index and "harvester" not in index
    assert "https://arxiv.org/abs/" not in table and "/-/at/" not in table
    assert metadata == {}
