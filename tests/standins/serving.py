"""Running a stand-in's HTTP server in a background thread, shared by every stand-in."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import Any

# How often the serving loop looks for a shutdown request: `shut_down` waits for that look,
# and hundreds of tests stop a stand-in, so it is short; an idle loop costs next to nothing.
POLL_INTERVAL = 0.005


def serve_in_background(server: ThreadingHTTPServer, name: str) -> threading.Thread:
    """Serve until `shut_down`; request threads never keep the test process alive."""
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL}, name=name, daemon=True
    )
    thread.start()
    return thread


def shut_down(server: ThreadingHTTPServer | None, thread: threading.Thread | None = None) -> None:
    if server is not None:
        server.shutdown()
        server.server_close()
    if thread is not None:
        thread.join(timeout=5)


class BackgroundServer:
    """`with StandIn() as s:` starts it and stops it; subclasses define start() and stop()."""

    def start(self) -> Any:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
