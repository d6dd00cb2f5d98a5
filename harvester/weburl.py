"""Web URLs from outside (a server's `Location`, a suggestion) made into well-formed http(s) URLs.

RFC 3986 lets a URL hold only some ASCII characters; everything else (spaces,
quotes, `<>`, brackets outside an IPv6 host, backslashes, control characters,
non-ASCII) is percent-encoded as UTF-8, and a `%` that starts no escape becomes
`%25`. Existing escapes are kept as they are: the URL still names the same
resource. Only http and https URLs with a host pass; anything else raises
`UnsafeUrl`, so `javascript:`, `data:` and `file:` never come out of here.
"""

from __future__ import annotations

import re
import string
from urllib.parse import SplitResult, urlsplit, urlunsplit

from .errors import HarvesterError

WEB_SCHEMES = ("http", "https")

_UNRESERVED = string.ascii_letters + string.digits + "-._~"
_SUB_DELIMS = "!$&'()*+,;="
_PATH_CHARS = frozenset(_UNRESERVED + _SUB_DELIMS + ":@/")
_QUERY_CHARS = _PATH_CHARS | frozenset("?")
_USERINFO_CHARS = frozenset(_UNRESERVED + _SUB_DELIMS + ":")
_HOST = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=%-]+|\[[0-9A-Fa-f:.]+\]")
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


class UnsafeUrl(HarvesterError, ValueError):
    """Not an http(s) URL that can be written down safely."""


# A URL in this shape (lower-case scheme and host, a path of unreserved characters and
# slashes, no port, user, query or fragment) is already what web_url makes of it: the
# exports write one per paper (every abs link), so it skips the parse.
_PLAIN_URL = re.compile(r"https?://[a-z0-9.-]+(?:/[A-Za-z0-9._~/-]*)?")


def web_url(url: str) -> str:
    """`url` as a well-formed absolute http(s) URL; raises UnsafeUrl when it is not one."""
    if _PLAIN_URL.fullmatch(url):
        return url
    parts = _split(url)
    netloc = _netloc(parts)
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            _encode(parts.path, _PATH_CHARS),
            _encode(parts.query, _QUERY_CHARS),
            _encode(parts.fragment, _QUERY_CHARS),
        )
    ) + _empty_markers(url, parts)


def is_malformed(url: str) -> bool:
    """Whether `url` holds ASCII that a URL may not (a space, `<`, `]` in a path, ...).

    Non-ASCII alone is not malformed: servers send internationalized paths raw.
    """
    ascii_only = "".join(ch for ch in url if ord(ch) < 128)
    scheme, colon, rest = ascii_only.partition(":")
    try:
        return web_url(ascii_only) != scheme.lower() + colon + rest  # the scheme's case means nothing
    except UnsafeUrl:
        return True


def _split(url: str) -> SplitResult:
    if url != url.strip() or not url:
        raise UnsafeUrl("not an http(s) URL: blank or padded with spaces")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError as error:
        raise UnsafeUrl(f"not a valid URL: {error}") from None
    if parts.scheme.lower() not in WEB_SCHEMES:
        raise UnsafeUrl(f"not an http(s) URL (scheme {parts.scheme.lower() or 'missing'!r})")
    if not parts.hostname:
        raise UnsafeUrl("not an http(s) URL: no host")
    return parts


def _netloc(parts: SplitResult) -> str:
    userinfo, _, hostport = parts.netloc.rpartition("@")
    host, port = _host_and_port(hostport)
    host = _ascii_host(host)
    if not _HOST.fullmatch(host):
        raise UnsafeUrl(f"not a valid host name: {host!r}")
    prefix = _encode(userinfo, _USERINFO_CHARS) + "@" if "@" in parts.netloc else ""
    return prefix + host + (f":{port}" if port else "")


def _host_and_port(hostport: str) -> tuple[str, str]:
    if hostport.startswith("["):
        host, _, rest = hostport.partition("]")
        return host + "]", rest.removeprefix(":")
    host, _, port = hostport.partition(":")
    return host, port


def _ascii_host(host: str) -> str:
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        raise UnsafeUrl(f"not a valid host name: {host!r}") from None


def _encode(text: str, allowed: frozenset[str]) -> str:
    if "%" not in text and allowed.issuperset(text):
        return text  # nothing to encode (most URLs): what the loop below would give, without it
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "%" and _ESCAPE.match(text, index):
            out.append(text[index : index + 3])
            index += 3
            continue
        out.append(char if char in allowed else _percent(char))
        index += 1
    return "".join(out)


def _percent(char: str) -> str:
    try:
        data = char.encode("utf-8")
    except UnicodeEncodeError:
        raise UnsafeUrl("not a valid URL: holds a lone surrogate") from None
    return "".join(f"%{byte:02X}" for byte in data)


def _empty_markers(url: str, parts: SplitResult) -> str:
    # urlunsplit drops a `?` or `#` with nothing after it; keep them, the URL said them.
    if url.endswith("#") and not parts.fragment:
        return "#"
    if url.endswith("?") and not parts.query and not parts.fragment:
        return "?"
    return ""
