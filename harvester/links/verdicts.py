"""Pure verdict logic for link checking: from what a check saw to a verdict.

No I/O here: the checker (`links.py`) observes, these functions decide, and
`history.py` stores. The verdict names are a contract with the CLI and
the reports:

- `ok`: a 2xx with no redirect, or only redirects that normalize the same URL
  (http -> https, an added or dropped trailing slash); the note says which.
  Also arXiv links whose paper exists in the harvested metadata, and resolver
  links (doi.org, handle.net, URL shorteners) that land on a 2xx page: their
  redirects are how they work, not a move.
- `moved`: every redirect permanent (301/308), ending in a 2xx; the final URL
  is the suggestion. A permanent redirect to a site's front page or a login
  page is not a move: that is `redirected`, with a note; so is a chain with a
  `Location` that is not a valid URL (a space, brackets, quotes: followed once
  repaired, but never suggested).
- `redirected`: a temporary hop (302/303/307) in the chain, ending in a 2xx.
  Informational: the link works, and nothing should be rewritten.
- `dead`: 404 or 410; a host name that does not exist; a retired host (the
  arXiv mirrors, decided by rule without a request, with the canonical
  arxiv.org link as the suggestion); an arXiv ID that arXiv says does not
  exist; a redirect to a non-web scheme (`file:`, `ftp:`); a soft 404 (below);
  and an `unreachable` link that kept failing (see `settle`).
- `unreachable`: time-outs, refused connections, 5xx, TLS and protocol errors,
  redirect loops, each after the run's retries.
- `blocked`: 401, 403, 429, other 4xx, and challenge pages (bot protection).
  One failure proves nothing there, so `blocked` never turns into `dead`.
- `skipped`: not http(s), excluded by a user's pattern, a private address, an
  arXiv page that is not a paper, or an arXiv paper not yet harvested.

A soft 404, a 2xx whose page says "not found" in its title or first heading,
is `dead` with the real status (200) kept and an error starting "soft 404":
the server answered and said the page is gone, which is what a 404 says, and
only the title and first heading are read so an article that merely mentions
"not found" is not caught.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from urllib.parse import SplitResult, urlsplit, urlunsplit

from ..ids import CANONICAL_HOST, abs_url, host_of, is_retired_mirror
from ..vocabulary import Verdict

SUCCESSES = frozenset({Verdict.OK, Verdict.MOVED, Verdict.REDIRECTED})
FAILURES = frozenset({Verdict.DEAD, Verdict.UNREACHABLE, Verdict.BLOCKED})


class Failure(StrEnum):
    """Why a check ended without a final HTTP response."""

    NAME_NOT_FOUND = "name not found"  # the DNS says the name does not exist
    DNS = "dns"  # resolution failed for now (no resolver, SERVFAIL, time-out)
    CONNECT = "connect"  # refused, no route, connect time-out
    TLS = "tls"
    TIMEOUT = "timeout"  # connected, then no answer in time
    PROTOCOL = "protocol"  # a malformed or cut-off response
    REDIRECT_LOOP = "redirect loop"
    TOO_MANY_REDIRECTS = "too many redirects"
    BAD_SCHEME = "bad scheme"  # a redirect to file:, ftp:, ...
    INVALID_URL = "invalid url"
    PRIVATE = "private address"


class Reach(StrEnum):
    """What a check tells about the network itself."""

    NONE = "none"  # no network attempt (decided by rule, metadata or policy)
    ANSWERED = "answered"  # a server was connected to: the network is up
    UNREACHED = "unreached"  # failed at the DNS or connection level


# Failures where nothing on the far side was reached: the evidence for "the
# network is down" rather than "this site is down".
CONNECTION_LEVEL = frozenset({Failure.NAME_NOT_FOUND, Failure.DNS, Failure.CONNECT})

PERMANENT_REDIRECTS = frozenset({301, 308})
REDIRECTS = frozenset({301, 302, 303, 307, 308})

# Links whose redirects are how they work: never a move.
RESOLVER_HOSTS = frozenset(
    {
        "doi.org",
        "dx.doi.org",
        "hdl.handle.net",
        "purl.org",
        "w3id.org",
        "bit.ly",
        "t.co",
        "goo.gl",
        "tinyurl.com",
        "ow.ly",
        "buff.ly",
    }
)

_NOT_FOUND = re.compile(
    r"\b404\b|not\s+found|page\s+(?:does\s+not|doesn't|no\s+longer)\s+exists?"
    r"|no\s+longer\s+available|页面不存在|找不到|未找到",
    re.IGNORECASE,
)
_CHALLENGE_TITLE = re.compile(
    r"just a moment|attention required|checking your browser|ddos-guard"
    r"|are you a robot|verify you are human|security check",
    re.IGNORECASE,
)
_CHALLENGE_MARKERS = (b"/cdn-cgi/challenge-platform/", b"_Incapsula_Resource", b"cf-chl-")
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_H1 = re.compile(rb"<h1[^>]*>(.*?)</h1\s*>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")
_LOGIN_PATH = re.compile(r"/(?:login|signin|sign-in|sign_in|auth|sso|accounts?/login)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Hop:
    url: str
    status: int

    def as_dict(self) -> dict[str, object]:
        return {"url": self.url, "status": self.status}


@dataclass(frozen=True)
class Observation:
    """What the network side saw for one URL: every hop, then a body or a failure."""

    url: str
    hops: tuple[Hop, ...] = ()
    failure: Failure | None = None
    error: str | None = None
    body: bytes = b""  # the first max_body bytes of the final response
    challenge_header: bool = False  # e.g. `cf-mitigated: challenge`
    malformed_location: str | None = None  # the first hop reached through an invalid Location, repaired


@dataclass(frozen=True)
class Judgement:
    """One check's verdict, before the link's history is taken into account."""

    verdict: Verdict
    status: int | None = None
    final_url: str | None = None
    suggestion: str | None = None
    error: str | None = None
    note: str | None = None
    hops: tuple[Hop, ...] = ()
    transient: bool = False  # counts toward the dead-after-repeated-failures rule
    reach: Reach = Reach.NONE


@dataclass(frozen=True)
class PaperFacts:
    """What the harvested metadata says about one arXiv ID."""

    exists: bool
    latest_version: int | None = None
    withdrawn: bool = False
    missing_since: str | None = None
    # Runs in a row that arXiv left out a paper it used to return: while `exists`
    # still holds, the paper is in its grace period (see `missing_for_good`).
    missing_runs: int = 0


@dataclass(frozen=True)
class LinkState:
    """The stored history of one URL that `settle` needs."""

    verdict: Verdict
    status: int | None
    final_url: str | None
    suggestion: str | None
    error: str | None
    note: str | None
    consecutive_failures: int
    first_failed_at: datetime | None
    failure_days: int
    last_ok_at: datetime | None


@dataclass(frozen=True)
class DeadRule:
    runs: int = 3
    days: int = 2


# A failing link's rule, and the grace of a paper arXiv stops returning.
DEFAULT_DEAD_RULE = DeadRule()


def missing_for_good(
    runs: int, first_missing: datetime, last_missing: datetime, rule: DeadRule = DEFAULT_DEAD_RULE
) -> bool:
    """Whether a paper arXiv stopped returning has stayed away long enough to be called gone.

    The same grace as a failing link: one empty answer from arXiv is likelier a
    glitch of its index than a paper removed, so it takes `rule.runs` runs on
    `rule.days` calendar days (UTC), counting the first and the last.
    """
    return runs >= rule.runs and _days_spanned(first_missing, last_missing) >= rule.days


# ---------------------------------------------------------------- before any request


def judge_without_request(url: str, exclude: tuple[re.Pattern[str], ...]) -> Judgement | None:
    """The verdict for URLs that are never fetched; None when a request is needed."""
    parts = _split(url)
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return Judgement(Verdict.SKIPPED, error="not an http(s) link")
    for pattern in exclude:
        if pattern.search(url):
            return Judgement(Verdict.SKIPPED, error=f"excluded by pattern {pattern.pattern!r}")
    return None


def private_address(addresses: list[str]) -> str | None:
    """The first address that is not on the public internet, if any."""
    for text in addresses:
        try:
            address = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            continue
        if not _is_public(address):
            return text
    return None


# IPv6 ranges that carry an IPv4 address in their last 32 bits: a connection to one
# reaches that IPv4 address (through a translator or the host's own stack), so the
# IPv4 address decides. NAT64's local-use prefix (RFC 8215) is an operator's own.
_IPV4_IN_LAST_32_BITS = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("::/96"))
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if address in _LOCAL_NAT64:
            return False
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return embedded.is_global
    return address.is_global


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in network for network in _IPV4_IN_LAST_32_BITS):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def judge_arxiv(url: str, arxiv_id: str | None, version: int | None, facts: PaperFacts | None) -> Judgement:
    """arXiv links are judged from harvested metadata: arXiv treats page-by-page crawling as abuse."""
    if is_retired_mirror(url):
        return _retired_mirror(url, arxiv_id)
    if arxiv_id is None:
        return Judgement(Verdict.SKIPPED, error="arXiv page that is not a paper: not crawled")
    if facts is None:
        return Judgement(Verdict.SKIPPED, error=f"arXiv {arxiv_id} not yet harvested")
    if not facts.exists:
        since = f" since {facts.missing_since}" if facts.missing_since else ""
        return Judgement(Verdict.DEAD, error=f"arXiv has no paper {arxiv_id}{since}")
    if facts.missing_since is not None:
        rule = DEFAULT_DEAD_RULE
        return Judgement(
            Verdict.SKIPPED,
            error=f"arXiv left {arxiv_id} out of its answers since {facts.missing_since} "
            f"({facts.missing_runs} of {rule.runs} runs): dead once missing {rule.runs} runs over {rule.days} days",
        )
    if version is not None and facts.latest_version is not None and version > facts.latest_version:
        return Judgement(
            Verdict.DEAD,
            error=f"arXiv {arxiv_id} has no v{version} (latest is v{facts.latest_version})",
            suggestion=abs_url(arxiv_id),
        )
    return Judgement(Verdict.OK, note="withdrawn on arXiv" if facts.withdrawn else "exists on arXiv")


def invalid_arxiv(url: str, reason: str) -> Judgement:
    """An arXiv paper URL whose identifier is malformed points at no paper."""
    return Judgement(Verdict.DEAD, error=f"malformed arXiv identifier: {reason}")


def _retired_mirror(url: str, arxiv_id: str | None) -> Judgement:
    host = host_of(url)
    error = f"retired host: {host} was shut down on 2024-09-15"
    if arxiv_id is not None:
        return Judgement(Verdict.DEAD, error=error, suggestion=abs_url(arxiv_id))
    parts = urlsplit(url)
    suggestion = urlunsplit(("https", CANONICAL_HOST, parts.path or "/", parts.query, ""))
    return Judgement(Verdict.DEAD, error=error, suggestion=suggestion)


# ---------------------------------------------------------------- after requests


def judge_observation(observation: Observation) -> Judgement:
    if observation.failure is not None:
        return _judge_failure(observation)
    last = observation.hops[-1]
    if 200 <= last.status < 300:
        return _judge_success(observation)
    return _judge_status(observation)


def _judge_failure(observation: Observation) -> Judgement:
    failure = observation.failure
    assert failure is not None
    hops = observation.hops
    base = Judgement(
        Verdict.UNREACHABLE,
        status=hops[-1].status if hops else None,
        final_url=hops[-1].url if hops else None,
        error=observation.error or str(failure),
        hops=hops,
        reach=_reach(hops, failure),
    )
    if failure == Failure.PRIVATE:
        return replace(base, verdict=Verdict.SKIPPED)
    if failure in (Failure.NAME_NOT_FOUND, Failure.BAD_SCHEME, Failure.INVALID_URL):
        return replace(base, verdict=Verdict.DEAD)
    return replace(base, transient=True)


def _reach(hops: tuple[Hop, ...], failure: Failure) -> Reach:
    if hops:
        return Reach.ANSWERED
    if failure in CONNECTION_LEVEL:
        return Reach.UNREACHED
    if failure in (Failure.PRIVATE, Failure.INVALID_URL):
        return Reach.NONE
    return Reach.ANSWERED  # a TLS handshake or a slow answer: something was there


def _judge_status(observation: Observation) -> Judgement:
    last = observation.hops[-1]
    base = Judgement(
        Verdict.BLOCKED,
        status=last.status,
        final_url=last.url,
        hops=observation.hops,
        error=f"HTTP {last.status}",
        reach=Reach.ANSWERED,
    )
    if last.status in (404, 410):
        return replace(base, verdict=Verdict.DEAD)
    challenge = challenge_reason(observation.body, observation.challenge_header)
    if challenge:
        return replace(base, error=f"HTTP {last.status}: {challenge}")
    if last.status >= 500 or last.status == 408 or last.status < 200 or last.status in REDIRECTS:
        return replace(base, verdict=Verdict.UNREACHABLE, transient=True)
    return base


def _judge_success(observation: Observation) -> Judgement:
    hops = observation.hops
    last = hops[-1]
    base = Judgement(Verdict.OK, status=last.status, final_url=last.url, hops=hops, reach=Reach.ANSWERED)
    challenge = challenge_reason(observation.body, observation.challenge_header)
    if challenge:
        return replace(base, verdict=Verdict.BLOCKED, error=challenge)
    soft = soft_404_reason(observation.body)
    if soft:
        return replace(base, verdict=Verdict.DEAD, error=f"soft 404: {soft}")
    verdict, note = classify_redirects(hops)
    if verdict == Verdict.MOVED and observation.malformed_location is not None:
        # A server that cannot write a valid Location is not trusted to name the new address.
        verdict, note = (
            Verdict.REDIRECTED,
            (f"permanent redirect through a malformed Location ({observation.malformed_location}): not a move"),
        )
    suggestion = last.url if verdict == Verdict.MOVED else None
    return replace(base, verdict=verdict, note=note, suggestion=suggestion)


def classify_redirects(hops: tuple[Hop, ...]) -> tuple[Verdict, str | None]:
    """ok / moved / redirected for a chain that ends in a 2xx, with a note for a person."""
    redirects = hops[:-1]
    if not redirects:
        return Verdict.OK, None
    pairs = list(pairwise(hops))
    if all(is_normalization(a.url, b.url) for a, b in pairs):
        return Verdict.OK, "normalized: " + ", ".join(_normalization_kinds(pairs))
    first, last = hops[0].url, hops[-1].url
    if host_of(first) in RESOLVER_HOSTS:
        return Verdict.OK, f"resolver link ({host_of(first)}) leads to {last}"
    temporary = [h.status for h in redirects if h.status not in PERMANENT_REDIRECTS]
    if temporary:
        return Verdict.REDIRECTED, f"temporary redirect ({temporary[0]}) to {last}"
    if _LOGIN_PATH.search(urlsplit(last).path):
        return Verdict.REDIRECTED, f"permanent redirect to a login page ({last}): not a move"
    if _is_front_page(last) and not _is_front_page(first):
        return Verdict.REDIRECTED, f"permanent redirect to a front page ({last}): not a move"
    return Verdict.MOVED, None


def is_normalization(url: str, target: str) -> bool:
    """Whether `target` is `url` with only http -> https and/or a trailing slash changed."""
    a, b = _split(url), _split(target)
    if a is None or b is None:
        return False
    if (a.scheme, b.scheme) not in (("http", "http"), ("https", "https"), ("http", "https")):
        return False
    same_place = (a.hostname, a.path.rstrip("/"), a.query) == (b.hostname, b.path.rstrip("/"), b.query)
    return same_place and _port(a) == _port(b) and url != target


def _normalization_kinds(pairs: list[tuple[Hop, Hop]]) -> list[str]:
    kinds: list[str] = []
    for a, b in pairs:
        if urlsplit(a.url).scheme != urlsplit(b.url).scheme and "http -> https" not in kinds:
            kinds.append("http -> https")
        if urlsplit(a.url).path != urlsplit(b.url).path and "trailing slash" not in kinds:
            kinds.append("trailing slash")
    return kinds


def soft_404_reason(body: bytes) -> str | None:
    """Why a 2xx page looks like a 'not found' page: its title or first heading says so."""
    for name, pattern in (("title", _TITLE), ("heading", _H1)):
        text = _first_text(pattern, body)
        if text and _NOT_FOUND.search(text):
            return f"page {name} says {text!r}"
    return None


def challenge_reason(body: bytes, challenge_header: bool) -> str | None:
    """Why a response looks like bot protection rather than the page."""
    if challenge_header:
        return "challenge page (cf-mitigated header)"
    title = _first_text(_TITLE, body)
    if title and _CHALLENGE_TITLE.search(title):
        return f"challenge page (title {title!r})"
    if any(marker in body for marker in _CHALLENGE_MARKERS):
        return "challenge page (bot-protection script)"
    return None


def _first_text(pattern: re.Pattern[bytes], body: bytes) -> str | None:
    match = pattern.search(body)
    if not match:
        return None
    text = _TAGS.sub(" ", match.group(1).decode("utf-8", "replace"))
    return " ".join(text.split())[:200] or None


def _is_front_page(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


def _split(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        return None
    return parts


def _port(parts: SplitResult) -> int | None:
    # http://host and https://host:443 name the same place once the scheme is upgraded.
    if parts.port in (None, 80, 443):
        return None
    return int(parts.port)


# ---------------------------------------------------------------- history


# A link's state after this run's check is the same record as the state it had before.
Settled = LinkState


def settle(judgement: Judgement, previous: LinkState | None, now: datetime, rule: DeadRule) -> Settled:
    """Fold one check into a link's history.

    Successes reset the failure streak. Failures extend it; a transient one
    (`unreachable`) becomes `dead` once the streak covers `rule.runs` runs on
    at least `rule.days` calendar days (UTC), counting the first and the last.
    `skipped` leaves the streak as it was.
    """
    streak, first_failed, last_ok = _history(previous)
    if judgement.verdict in SUCCESSES:
        streak, first_failed, last_ok = 0, None, now
    elif judgement.verdict in FAILURES:
        streak, first_failed = streak + 1, first_failed or now
    days = _days_spanned(first_failed, now)
    settled = _settled(judgement, streak, first_failed, days, last_ok)
    if judgement.transient and streak >= rule.runs and days >= rule.days:
        assert first_failed is not None
        error = f"unreachable on {streak} runs over {days} days since {first_failed:%Y-%m-%d}: {judgement.error}"
        return replace(settled, verdict=Verdict.DEAD, error=error)
    return settled


# A link failing for a reason that may pass (a time-out, a 5xx, a block) rests between
# checks, longer after each failure: a host that is down or refuses us is not asked
# every night for months, and the dead rule still sees its runs over its days.
RESTING = frozenset({Verdict.UNREACHABLE, Verdict.BLOCKED})


def rest_after(failures: int, first: timedelta, longest: timedelta) -> timedelta:
    """How long a link with `failures` failing checks in a row waits before the next: `first`, doubling, capped."""
    if failures <= 0:
        return timedelta(0)
    doubled = first.total_seconds() * 2.0 ** min(failures - 1, 40)
    return timedelta(seconds=min(doubled, longest.total_seconds()))


def hold(judgement: Judgement, previous: LinkState | None) -> Settled:
    """The state to keep when the whole network was down: nothing is counted."""
    if previous is not None:
        return previous
    # Never judged before: a failed lookup or connection with the whole network down
    # says nothing about this link, so it is only `unreachable`, never `dead`.
    unjudged = replace(judgement, verdict=Verdict.UNREACHABLE, error=f"network down: {judgement.error}")
    return _settled(unjudged, 0, None, 0, None)


def _history(previous: LinkState | None) -> tuple[int, datetime | None, datetime | None]:
    if previous is None:
        return 0, None, None
    return previous.consecutive_failures, previous.first_failed_at, previous.last_ok_at


def _days_spanned(first_failed: datetime | None, now: datetime) -> int:
    if first_failed is None:
        return 0
    return (_utc_date(now) - _utc_date(first_failed)).days + 1


def _utc_date(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def _settled(
    judgement: Judgement, streak: int, first_failed: datetime | None, days: int, last_ok: datetime | None
) -> Settled:
    return Settled(
        verdict=judgement.verdict,
        status=judgement.status,
        final_url=judgement.final_url,
        suggestion=judgement.suggestion,
        error=judgement.error,
        note=judgement.note,
        consecutive_failures=streak,
        first_failed_at=first_failed,
        failure_days=days,
        last_ok_at=last_ok,
    )
