"""A web process as ``run.py`` starts it, with the CPU its requests spend inside the app counted.

    python bench/http/timed.py core       # keel-core web, each request's app time counted
    python bench/http/timed.py hello      # hello-world (``hello.py``), the same way

``split.py``'s helper. The process is the one ``keel-<svc> web`` (or ``hello.py``) runs --
the same settings, gunicorn configuration and app factory -- with the app wrapped: each
worker adds up, per request, the CPU time of the thread that serves it from the call into
the WSGI app until its body is read (``time.thread_time``: Python, the kernel's work on the
thread's own system calls, the wait for the GIL not included), and writes its totals to
``$KEEL_TIMED_DIR/<pid>`` every ``EVERY`` requests. What a worker spends outside that --
gunicorn reading and writing the sockets, parsing, handing connections between its threads
-- is the rest of the worker's CPU.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FACTORY = "KEEL_TIMED_FACTORY"
DIRECTORY = "KEEL_TIMED_DIR"
EVERY = 64  # requests between two writes of a worker's totals (a write: ~0.3 µs a request)


class Timed:
    """A WSGI app that counts the requests ``app`` served and the CPU they took in it."""

    def __init__(self, app: Callable[..., Iterable[bytes]], out: Path) -> None:
        self._app = app
        self._out = out
        self._partial = out.with_suffix(".partial")  # written, then renamed to ``out``
        self._lock = threading.Lock()
        self._requests = 0
        self._cpu = 0.0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        started = time.thread_time()
        body = self._app(environ, start_response)
        try:
            chunks = list(body)
        finally:
            getattr(body, "close", lambda: None)()
        spent = time.thread_time() - started
        with self._lock:
            self._requests += 1
            self._cpu += spent
            if self._requests % EVERY == 0:
                # Whole or not at all: a reader never sees a file half written.
                self._partial.write_text(f"{self._requests} {self._cpu}")
                os.replace(self._partial, self._out)
        return chunks


def app() -> Timed:
    """gunicorn's app in each worker: the factory ``main`` named, wrapped."""
    from gunicorn.util import import_app

    return Timed(import_app(os.environ[FACTORY]), Path(os.environ[DIRECTORY]) / str(os.getpid()))


def totals(directory: Path, pids: Iterable[int]) -> tuple[int, float]:
    """Requests and in-app CPU seconds the workers ``pids`` have written so far."""
    requests, cpu = 0, 0.0
    for pid in pids:
        try:
            count, seconds = (directory / str(pid)).read_text().split()
        except OSError:
            continue  # none written yet: the worker has served fewer than EVERY requests
        requests, cpu = requests + int(count), cpu + float(seconds)
    return requests, cpu


def main() -> None:
    target = sys.argv[1]
    import keel_common.http as http

    serve = http.serve

    def timed_serve(factory: str, settings: Any, **options: Any) -> None:
        os.environ[FACTORY] = factory
        serve("timed:app()", settings, **options)

    sys.path.insert(0, str(HERE))  # the workers import ``timed`` (this file) by name
    if target == "hello":
        import hello

        timed_serve(hello.FACTORY, hello.settings())
        return
    http.serve = timed_serve  # what ``keel-<svc> web`` calls
    sys.argv = [f"keel-{target}", "web"]
    cli = importlib.import_module(f"keel_{target}.entrypoints.cli")
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
