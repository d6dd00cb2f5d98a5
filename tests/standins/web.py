"""A local test web: real HTTP servers on loopback, with replies set per test.

    with LocalWeb() as web:
        web.route("/old", redirect(301, "/new"))
        web.route("/new", page("New home"))
        web.route("/flaky", Reply(500), page("Back"))  # one reply per request, the last repeats
        web.url("/old")  # http://127.0.0.1:PORT/old
        web.hits("/flaky")  # requests seen for that path

Several "hosts" can share one server: routes may be bound to a Host name
(`host="site-a.test"`), and the checker under test is given a resolver that
maps those names to 127.0.0.1. `latency` adds a delay to every reply (the
benchmark's slow web); `Reply.delay` makes one reply hang.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from .serving import BackgroundServer, serve_in_background, shut_down


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0  # seconds to wait before answering


def page(title: str, text: str = "", status: int = 200, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    html = f"<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>"
    return Reply(status, html.encode(), (("Content-Type", "text/html; charset=utf-8"), *headers))


def redirect(status: int, location: str) -> Reply:
    return Reply(status, b"", (("Location", location),))


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it."""

    method: str
    host: str  # the Host header without the port
    path: str
    headers: dict[str, str]
    at: float  # time.monotonic() when it arrived


@dataclass
class _Route:
    replies: list[Reply]
    served: int = 0

    def next(self) -> Reply:
        reply = self.replies[min(self.served, len(self.replies) - 1)]
        self.served += 1
        return reply


@dataclass
class LocalWeb(BackgroundServer):
    """One threaded HTTP server on `address`, port chosen by the system."""

    address: str = "127.0.0.1"
    latency: Callable[[], float] | None = None
    tls: tuple[Path, Path] | None = None  # (certificate, key) to serve https
    requests: list[Seen] = field(default_factory=list)
    _routes: dict[tuple[str | None, str], _Route] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def route(self, path: str, *replies: Reply, host: str | None = None) -> None:
        with self._lock:
            self._routes[(host, path)] = _Route(list(replies) or [Reply()])

    @property
    def port(self) -> int:
        assert self._server is not None, "start the web first"
        return int(self._server.server_address[1])

    def url(self, path: str, host: str | None = None, scheme: str = "http") -> str:
        return f"{scheme}://{host or self.address}:{self.port}{path}"

    def hits(self, path: str, host: str | None = None) -> int:
        with self._lock:
            return sum(1 for s in self.requests if s.path == path and (host is None or s.host == host))

    def start(self) -> LocalWeb:
        self._server = ThreadingHTTPServer((self.address, 0), _handler_for(self))
        if self.tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._server.block_on_close = False
        serve_in_background(self._server, "local-web")
        return self

    def stop(self) -> None:
        shut_down(self._server)
        self._server = None

    def _reply_for(self, seen: Seen) -> Reply:
        with self._lock:
            self.requests.append(seen)
            route = self._routes.get((seen.host, seen.path)) or self._routes.get((None, seen.path))
            return route.next() if route else page("Not Found", status=404)


def _handler_for(web: LocalWeb) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def handle(self) -> None:
            # A client that hangs up early is no error of the web's.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                super().handle()

        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            self._answer(with_body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._answer(with_body=False)

        def _answer(self, with_body: bool) -> None:
            host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
            seen = Seen(self.command, host, urlsplit(self.path).path, dict(self.headers), time.monotonic())
            reply = web._reply_for(seen)
            time.sleep(reply.delay + (web.latency() if web.latency else 0.0))
            # The client may have given up (a time-out test): nothing to answer then.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._write(reply, with_body)

        def _write(self, reply: Reply, with_body: bool) -> None:
            self.send_response(reply.status)
            for name, value in reply.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if with_body:
                self.wfile.write(reply.body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output quiet

    return Handler


def refused_port(address: str = "127.0.0.1") -> int:
    """A loopback port with nothing listening: connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((address, 0))
        return int(probe.getsockname()[1])


def self_signed_certificate(directory: Path, name: str) -> tuple[Path, Path]:
    """A certificate for `name` and its key, made with the openssl command."""
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            f"/CN={name}",
            "-addext",
            f"subjectAltName=DNS:{name}",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key
