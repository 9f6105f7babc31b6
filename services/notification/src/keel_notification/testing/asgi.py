"""Serving a small ASGI app with hypercorn on loopback, in a thread, over HTTP/2 and TLS."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hypercorn.asyncio import serve
from hypercorn.config import Config

from keel_common.testing import free_port
from keel_notification.testing.tls import TlsFiles

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    http_version: str
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


async def read_request(scope: dict[str, Any], receive: Receive) -> Request:
    body = b""
    while True:
        event = await receive()
        body += event.get("body", b"")
        if not event.get("more_body"):
            break
    headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
    return Request(scope["method"], scope["path"], scope["http_version"], headers, body)


async def respond(
    send: Send, status: int, body: Any = None, headers: Mapping[str, str] | None = None
) -> None:
    payload = b"" if body is None else json.dumps(body).encode()
    raw = [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    if body is not None:
        raw.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


async def lifespan(receive: Receive, send: Send) -> None:
    while True:
        event = await receive()
        if event["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif event["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


class AsgiServer:
    """``with AsgiServer(app, tls) as base_url: ...``; HTTP/2 via ALPN when ``tls`` is given."""

    def __init__(self, app: Any, tls: TlsFiles | None) -> None:
        self.app = app
        self.port = free_port()
        self.config = Config()
        self.config.bind = [f"127.0.0.1:{self.port}"]
        self.config.accesslog = None
        self.config.loglevel = "WARNING"
        # hypercorn ends a connection after 1,000 requests by default, and at once: the
        # request in flight gets no answer, handled or not. APNs asks senders to keep one
        # connection open across many notifications and sets no such limit, so the stand-ins
        # do not either: a push lost every thousand would be hypercorn's, not the sender's.
        self.config.keep_alive_max_requests = sys.maxsize
        if tls is not None:
            self.config.certfile, self.config.keyfile = str(tls.cert), str(tls.key)
        self.scheme = "https" if tls else "http"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="asgi-server", daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def _run(self) -> None:
        async def main() -> None:
            self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
            await serve(self.app, self.config, shutdown_trigger=self._stop.wait)

        asyncio.run(main())

    def start(self) -> str:
        self._thread.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return self.url
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"the server on port {self.port} did not start")

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
