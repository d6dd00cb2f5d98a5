"""One event loop per command: a whole refresh (fetch, earlier versions, enrichment, links) runs in one asyncio.run."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harvester.arxiv.config import ClientConfig
from harvester.links import LinkCheckConfig
from harvester.refresh import RefreshOptions, run_refresh
from tests.cli import ROOT
from tests.standins.arxiv import ArxivStandIn
from tests.standins.scholar import HuggingFaceStandIn, SemanticScholarStandIn
from tests.standins.web import LocalWeb, page
from tests.test_enrich import make_config


def test_a_refresh_runs_every_network_step_in_one_event_loop(
    tmp_path: Path,
    arxiv: ArxivStandIn,
    s2: SemanticScholarStandIn,
    hf: HuggingFaceStandIn,
    web: LocalWeb,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    web.route("/tool", page("A tool"))
    lists = tmp_path / "lists"
    lists.mkdir()
    shutil.copy(ROOT / "seeds" / "model-compression.md", lists)
    (lists / "tools.md").write_text(f"# Tools\n\n1. [A tool]({web.url('/tool')})\n", encoding="utf-8")
    calls: list[str] = []
    real_run: Callable[..., Any] = asyncio.run

    def counting_run(main: Any, **kwargs: Any) -> Any:
        calls.append(getattr(main, "__qualname__", repr(main)))
        return real_run(main, **kwargs)

    monkeypatch.setattr(asyncio, "run", counting_run)
    options = RefreshOptions(
        db_path=tmp_path / "h.db",
        paths=(lists,),
        arxiv=ClientConfig(base_url=arxiv.url, delay=0.0),
        links=LinkCheckConfig(allow_private=True, per_host_delay=0.0, exclude=(r"^https?://(?!127\.0\.0\.1[:/])",)),
        enrich=make_config(s2.url, hf.url),
    )
    report = run_refresh(options)

    assert report.status == "ok", report.errors
    # Every step that talks to a server did talk to it ...
    assert arxiv.requests and s2.requests and hf.requests and any(r.path == "/tool" for r in web.requests)
    assert report.steps["fetch"].counts["versions_added"] > 0
    # ... and all of it inside the one event loop.
    assert calls == ["_run_steps"]
