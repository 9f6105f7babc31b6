"""Helpers for the tests of every service: real servers on loopback, nothing faked."""

from __future__ import annotations

import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from werkzeug.serving import make_server

T = TypeVar("T")


class ManualClock:
    """A clock in seconds, shaped like ``time.monotonic`` or ``time.time``, that moves only
    when the test sets or advances ``now``."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


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


def written_lines(path: Path) -> list[str]:
    """The lines of a log another process appends to, each whole: a line it is still writing
    (nginx writes its access line just after answering) has no newline yet and is left out."""
    text = path.read_text()
    return text[: text.rfind("\n") + 1].splitlines()


# Ports for servers the tests start, below Linux's ephemeral range (32768-60999), where the
# kernel picks the local port of every outgoing connection (database, broker, HTTP clients):
# a port the kernel had just handed out as "free" could be taken by such a connection, or by
# the other xdist worker's platform, before the server bound it (EADDRINUSE, seen when two
# e2e platforms started at once). Each xdist worker draws from its own block, each process
# hands a port out once.
_PORT_BLOCK = 3000
_PORT_BASE = 20000
_handed_out: set[int] = set()
_port_lock = threading.Lock()


def _port_block() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    index = int(worker[2:]) + 1 if worker.startswith("gw") and worker[2:].isdigit() else 0
    start = _PORT_BASE + (index % 4) * _PORT_BLOCK
    return range(start, start + _PORT_BLOCK)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now, from this process's block
    (see above), never the same one twice in a process."""
    block = _port_block()
    with _port_lock:
        for _ in range(2):  # a second round once every port was handed out (long runs)
            offset = random.randrange(len(block))
            for step in range(len(block)):
                port = block[(offset + step) % len(block)]
                if port not in _handed_out and _bindable(port):
                    _handed_out.add(port)
                    return port
            _handed_out.clear()
    raise RuntimeError(f"no free port left in {block.start}-{block.stop - 1}")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Serve a WSGI app on a free loopback port in a thread; yields its base URL.

    Tests drive it with ``requests`` so every call crosses a real socket and the real
    HTTP parsing, not Flask's test client.
    """
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # shutdown() waits for the serving loop's next poll: the default half second, paid by
    # every test that uses a live server (about a thousand of them), is 10 ms here (a poll
    # costs microseconds).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, name="live-server", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
