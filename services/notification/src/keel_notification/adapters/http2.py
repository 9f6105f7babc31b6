"""One HTTP/2 client per thread for the push providers.

httpx's sync ``Client(http2=True)`` cannot be shared between threads: httpcore picks a
stream id, HPACK-encodes the headers (the encoder keeps state) and writes the frames
without one lock around the three, so two threads sending at once can open streams out of
order or desynchronise header compression. The server then ends the connection with a
protocol error and every push in flight on it fails, some of them already delivered
(pydantic/httpx2#1153 describes the race). The worker sends from several consumer threads
and its dispatcher, so each thread gets a client and a connection of its own, as it gets
its own SMTP connection; APNs and FCM both accept several connections from one sender.
"""

from __future__ import annotations

import ssl

import httpx

from keel_notification.adapters.per_thread import PerThread


class ClientPerThread(PerThread[httpx.Client]):
    """``httpx.Client(http2=True)`` objects with the same settings, one per calling thread."""

    def __init__(self, *, base_url: str, timeout: float, ca_file: str | None) -> None:
        self.base_url = base_url
        # one context for all: loading the CA file once, and SSLContext is thread-safe
        verify = ssl.create_default_context(cafile=ca_file)

        def open_() -> httpx.Client:
            return httpx.Client(base_url=base_url, http2=True, timeout=timeout, verify=verify)

        super().__init__(open_, httpx.Client.close)
