"""Helpers for the tests of every service: real servers on loopback, nothing faked."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from werkzeug.serving import make_server

T = TypeVar("T")


def eventually(probe: Callable[[], T], what: str = "the condition", timeout: float = 30.0) -> T:
    """Call ``probe`` until it returns something truthy (returned) or ``timeout`` passes
    (``AssertionError`` naming ``what``). For effects that cross a broker or a process."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Serve a WSGI app on a free loopback port in a thread; yields its base URL.

    Tests drive it with ``requests`` so every call crosses a real socket and the real
    HTTP parsing, not Flask's test client.
    """
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # shutdown() waits for the serving loop's next poll: the default half second, paid by
    # every test that uses a live server (about a thousand of them), is 50 ms here.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="live-server", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
