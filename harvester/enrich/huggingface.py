"""Hugging Face paper pages: the official code repository (`githubRepo`).

`GET /api/papers/<id>` answers with the paper page as JSON, or 404 when the
paper has no page yet: "not indexed" is a normal answer, not a failure. Only
new-style IDs (YYMM.NNNNN) have pages. An optional token (`HF_TOKEN`) is sent
as a bearer token. One request per paper, so the source's delay spaces them.

Spacing: Hugging Face publishes its Hub API budget per 5-minute window: 500
requests for anonymous callers, 1,000 for a signed-in (free) account. Spread
evenly that is one request every 0.6 s without a token and every 0.3 s with
`HF_TOKEN`. When the answers carry a `RateLimit` header (remaining requests and
seconds to the window's reset), that spacing is used instead (enrich/http.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

from .base import Enrichment, PoliteHttpLike

NAME = "huggingface"
DEFAULT_URL = "https://huggingface.co"
PAPERS_PATH = "/api/papers/"
# The Hub's published API budgets (huggingface.co/docs/hub/rate-limits, 5-minute windows):
ANONYMOUS_DELAY = 300 / 500  # seconds: 500 requests per 5 minutes from an anonymous address
TOKEN_DELAY = 300 / 1000  # seconds: 1,000 requests per 5 minutes for a free account's token
_NEW_STYLE = re.compile(r"^\d{4}\.\d{4,5}$")


class HuggingFace:
    name = NAME

    def __init__(self, base_url: str = DEFAULT_URL, api_key: str | None = None) -> None:
        self.url = base_url.rstrip("/") + PAPERS_PATH
        self.api_key = api_key

    def accepts(self, arxiv_id: str) -> bool:
        return bool(_NEW_STYLE.match(arxiv_id))

    async def fetch(self, http: PoliteHttpLike, ids: Sequence[str]) -> AsyncIterator[list[Enrichment]]:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        for arxiv_id in ids:
            response = await http.send("GET", self.url + arxiv_id, headers=headers)
            yield [interpret(arxiv_id, response.status_code, response.content)]


def interpret(arxiv_id: str, status: int, body: bytes) -> Enrichment:
    """One answer as an Enrichment: 200 found, 404 not indexed, anything else failed."""
    if status == 404:
        return Enrichment(arxiv_id, NAME, "not_found")
    if status != 200:
        return Enrichment(arxiv_id, NAME, "failed", error=f"HTTP {status}")
    try:
        return parse_paper(arxiv_id, json.loads(body))
    except ValueError as error:
        return Enrichment(arxiv_id, NAME, "failed", error=f"unreadable answer: {error}")


def parse_paper(arxiv_id: str, payload: Any) -> Enrichment:
    if not isinstance(payload, dict):
        raise ValueError(f"expected an object, got {type(payload).__name__}")
    repo = payload.get("githubRepo")
    return Enrichment(
        arxiv_id=arxiv_id,
        source=NAME,
        status="found",
        raw=json.dumps(payload, ensure_ascii=False, sort_keys=True),
        code_url=repo.strip() if isinstance(repo, str) and repo.strip() else None,
    )
