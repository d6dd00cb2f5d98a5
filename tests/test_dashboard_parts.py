"""The dashboard's pure parts: SVG charts, cell links, metadata, and the queries behind them."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harvester.dashboard import cells, data
from harvester.dashboard.charts import PALETTE, StackedBars, nice_step, series_colours, stacked_bars_svg, text_width
from harvester.dashboard.metadata import HIDDEN, metadata_for
from tests.cli import invoke

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(\"x\")</script> & 'quotes'"


def chart(**overrides: object) -> StackedBars:
    values: dict[str, object] = {
        "name": "test",
        "title": "A test chart",
        "categories": ["2019", "2020", "2021"],
        "series": ["a", "b"],
        "values": {("2019", "a"): 3, ("2019", "b"): 1, ("2020", "b"): 0, ("2021", "a"): 7},
    }
    values.update(overrides)
    return StackedBars(**values)  # type: ignore[arg-type]


def marks(svg: str) -> list[ET.Element]:
    root = ET.fromstring(svg)  # well-formed XML, or this raises
    return [e for e in root.iter(f"{SVG}rect") if e.get("class") == "mark"]


def test_one_mark_per_nonzero_count_with_its_value_and_tooltip() -> None:
    drawn = marks(stacked_bars_svg(chart()))
    assert [(m.get("data-category"), m.get("data-series"), m.get("data-value")) for m in drawn] == [
        ("2019", "a", "3"),
        ("2019", "b", "1"),
        ("2021", "a", "7"),
    ]
    assert [m.find(f"{SVG}title").text for m in drawn] == ["2019 · a: 3", "2019 · b: 1", "2021 · a: 7"]  # type: ignore[union-attr]


def test_bar_heights_are_proportional_and_stack_from_the_axis() -> None:
    drawn = marks(stacked_bars_svg(chart()))
    heights = [float(m.get("height") or 0) for m in drawn]
    assert heights[0] / heights[2] == pytest.approx(3 / 7, rel=0.02)
    first, second = drawn[0], drawn[1]
    # b sits on top of a in the same bar
    assert float(second.get("y") or 0) + float(second.get("height") or 0) == pytest.approx(float(first.get("y") or 0))
    assert first.get("x") == second.get("x")


def test_every_text_is_escaped() -> None:
    svg = stacked_bars_svg(
        chart(categories=[HOSTILE], series=[HOSTILE], values={(HOSTILE, HOSTILE): 2}, title=HOSTILE, name=HOSTILE)
    )
    assert "<script" not in svg
    assert len(marks(svg)) == 1
    root = ET.fromstring(svg)
    assert HOSTILE in {e.text for e in root.iter(f"{SVG}title")}
    assert root.get("data-chart") == HOSTILE


def test_an_empty_chart_says_so_without_marks() -> None:
    svg = stacked_bars_svg(chart(values={}, empty="Nothing & none"))
    assert marks(svg) == []
    assert "Nothing &amp; none" in svg


def test_fixed_colours_are_kept_and_the_others_take_the_palette() -> None:
    colours = series_colours(chart(series=["ok", "x", "y"], colours={"ok": "#00ff00"}))
    assert colours["ok"] == "#00ff00"
    assert colours["x"] == PALETTE[0] and colours["y"] == PALETTE[1]


@pytest.mark.parametrize(("top", "step"), [(1, 1), (4, 1), (7, 2), (30, 10), (27, 10), (120, 50), (999, 500)])
def test_nice_steps_are_round_and_give_at_most_four_intervals(top: int, step: int) -> None:
    assert nice_step(top) == step
    assert top / nice_step(top) <= 4


def test_cells_link_arxiv_ids_urls_and_places() -> None:
    assert cells.cell_html("arxiv_id", "1907.05642", {}, "/h") == (
        '<a href="https://arxiv.org/abs/1907.05642">1907.05642</a>'
    )
    assert cells.cell_html("arxiv_id", "not an id", {}, "/h") is None
    assert cells.cell_html("url", 'https://x.org/a"b<c', {}, "/h") == (
        '<a href="https://x.org/a&quot;b&lt;c" rel="nofollow noopener">https://x.org/a&quot;b&lt;c</a>'
    )
    assert cells.cell_html("notes", "see https://x.org and more", {}, "/h") is None
    assert cells.cell_html("used_at", "a b.md:12, <odd>", {}, "/h") == (
        '<a href="/h/-/at/a%20b.md/12">a b.md:12</a>, &lt;odd&gt;'
    )
    assert cells.cell_html("line", 7, {"list_id": 3}, "/h") == '<a href="/h/-/at/3/7">7</a>'
    assert cells.cell_html("line", 7, {"list": "x.md"}, "/h") == '<a href="/h/-/at/x.md/7">7</a>'
    assert cells.cell_html("line", 7, ("no", "names"), "/h") is None
    assert cells.cell_html("line", 7, {}, "/h") is None


def test_metadata_hides_the_internal_tables_and_names_every_database() -> None:
    assert metadata_for([]) == {}
    metadata = metadata_for(["a", "b"])
    assert set(metadata["databases"]) == {"a", "b"}
    tables = metadata["databases"]["a"]["tables"]
    assert {name for name, table in tables.items() if table.get("hidden")} == set(HIDDEN)
    assert "titles_to_fix" in metadata["databases"]["b"]["queries"]


def test_health_and_findings_by_section_on_the_seed(shared_seed_db: Path) -> None:
    with sqlite3.connect(shared_seed_db) as conn:
        assert data.is_harvester_db(conn)
        (health,) = data.list_health(conn)
        assert health.papers == 19 and health.dead_links == 0
        assert set(health.open_findings) == {"error", "warning", "info"}
        chart = data.papers_per_year(conn, health.id)
        assert sum(count for _, _, count in chart.points()) == 19
        assert chart.categories == [str(y) for y in range(int(chart.categories[0]), int(chart.categories[-1]) + 1)]
        assert data.findings_over_runs(conn).points() == []  # no refresh has run on this database
        assert data.entry_at(conn, "model-compression.md", 10_000) == (health.id, None)
        assert data.entry_at(conn, "nothing.md", 1) == (None, None)


def test_open_suggestions_are_shown_per_section_best_first_with_the_words_they_share(seed_db: Path) -> None:
    with sqlite3.connect(seed_db) as conn:
        list_id, section = conn.execute("SELECT list_id, path FROM sections ORDER BY position LIMIT 1").fetchone()
        for number, (score, status) in enumerate([(0.2, "open"), (0.6, "open"), (0.9, "rejected")]):
            conn.execute(
                "INSERT INTO suggestions (arxiv_id, list_id, section, title, sources, score, words, status, "
                "first_seen, last_seen) VALUES (?, ?, ?, ?, '[]', ?, ?, ?, 't', 't')",
                [f"2101.0000{number}", list_id, section, f"Paper {number}", score, '["pruning", "sparse"]', status],
            )
        for extra in range(data.SUGGESTIONS_SHOWN):
            conn.execute(
                "INSERT INTO suggestions (arxiv_id, list_id, section, title, sources, score, status, first_seen, "
                "last_seen) VALUES (?, ?, ?, 'Weak', '[]', 0.1, 'open', 't', 't')",
                [f"2102.0000{extra}", list_id, section],
            )
        groups = {g.section: g for g in data.findings_by_section(conn, list_id)}
        shown = groups[section].suggestions
        assert len(shown) == data.SUGGESTIONS_SHOWN
        assert shown[:2] == [
            {"arxiv_id": "2101.00001", "title": "Paper 1", "reason": "score 0.60; shares pruning, sparse"},
            {"arxiv_id": "2101.00000", "title": "Paper 0", "reason": "score 0.20; shares pruning, sparse"},
        ]
        assert shown[2]["reason"] == "score 0.10"  # the rejected one is never shown


def test_a_database_of_another_application_is_not_harvesters(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "other.db") as conn:
        conn.execute("CREATE TABLE lists (id INTEGER)")
        assert not data.is_harvester_db(conn)


def test_an_acceptance_hides_its_finding_from_the_counts_only_while_its_values_stay(seed_db: Path) -> None:
    assert invoke("reconcile", db=seed_db).returncode in (0, 3)
    with sqlite3.connect(seed_db) as conn:
        key, severity = conn.execute(
            "SELECT key, severity FROM findings WHERE kind = 'title_typo' AND resolved_at IS NULL LIMIT 1"
        ).fetchone()
        (before,) = data.list_health(conn)
    assert invoke("accept", key, "--reason", "kept on purpose", db=seed_db).returncode == 0
    with sqlite3.connect(seed_db) as conn:
        (after,) = data.list_health(conn)
        assert after.accepted == 1
        assert after.open_findings[severity] == before.open_findings[severity] - 1
        (finding_id,) = data.accepted_findings(conn)
        conn.execute("UPDATE acceptances SET noted = 'another title'")  # the note changed since
        assert data.accepted_findings(conn) == set()
        assert finding_id in {f["id"] for g in data.findings_by_section(conn, after.id) for f in g.findings}


def test_legend_entries_do_not_overlap_with_wide_characters() -> None:
    names = ["1 综述", "2 理论", "3 剪枝", "5 低秩分解", "6 权值量化", "7 知识蒸馏", "8 嵌入式加速", "9 其他"]
    svg = stacked_bars_svg(chart(series=names, values={("2019", n): 1 for n in names}))
    rows: dict[str, list[tuple[float, str]]] = {}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        text = group.find(f"{SVG}text")
        assert text is not None and text.text is not None
        rows.setdefault(text.get("y") or "", []).append((float(text.get("x") or 0), text.text))
    for entries in rows.values():
        for (x, label), (next_x, _) in zip(entries, entries[1:], strict=False):
            assert x + text_width(label) < next_x


def test_two_runs_in_one_second_are_told_apart_by_what_each_left(seed_db: Path) -> None:
    """Timestamps are whole seconds: the charts over runs go by the rows each run left, not by time."""
    second = "2026-12-05T07:00:00Z"
    with sqlite3.connect(seed_db) as conn:
        list_id = conn.execute("SELECT id FROM lists").fetchone()[0]
        for number, kind in enumerate(("title_typo", "date_mismatch")):
            conn.execute(
                "INSERT INTO findings (key, list_id, line, kind, severity, source, detail, first_seen, last_seen) "
                "VALUES (?, ?, 1, ?, 'warning', 'arxiv', '', ?, ?)",
                [f"k{number}", list_id, kind, second, second],
            )
        typo, date = (row[0] for row in conn.execute("SELECT id FROM findings ORDER BY id"))
        events = [(typo, "opened"), (date, "opened"), (typo, "resolved")]  # run 1 opens both, run 2 resolves one
        for finding, event in events:
            conn.execute(
                "INSERT INTO finding_events (finding_id, at, event, detail) VALUES (?, ?, ?, '')",
                [finding, second, event],
            )
        first, _, last = (row[0] for row in conn.execute("SELECT id FROM finding_events ORDER BY id"))
        for upto in (first + 1, last):
            conn.execute(
                "INSERT INTO runs (command, started_at, ended_at, status, finding_events_upto) "
                "VALUES ('refresh', ?, ?, 'ok', ?)",
                [second, second, upto],
            )
        run_one, run_two = (f"#{row[0]}" for row in conn.execute("SELECT id FROM runs ORDER BY id"))
        values = data.findings_over_runs(conn).values
    assert values == {(run_one, "title_typo"): 1, (run_one, "date_mismatch"): 1, (run_two, "date_mismatch"): 1}
