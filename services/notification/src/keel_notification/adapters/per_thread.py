"""One resource per calling thread, for the providers' connections.

The worker sends from several consumer threads and its dispatcher; a connection must not be
shared between them (an SMTP session is a conversation; an httpx HTTP/2 connection is not
thread-safe, ``http2``). Each thread opens its own on first use and keeps it between
messages; ``close`` closes every thread's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PerThread(Generic[T]):
    """``get`` the calling thread's ``open()``-ed resource; ``close(resource)`` ends one."""

    def __init__(self, open_: Callable[[], T], close: Callable[[T], None]) -> None:
        self._open, self._close = open_, close
        self._local = threading.local()
        self._opened: list[T] = []
        self._lock = threading.Lock()

    @property
    def opened(self) -> list[T]:
        """Every thread's open resource."""
        with self._lock:
            return list(self._opened)

    def get(self) -> T:
        """The calling thread's resource, opened on its first use (what opening raises
        propagates, and the next call tries again)."""
        resource: T | None = getattr(self._local, "resource", None)
        if resource is None:
            resource = self._open()
            self._local.resource = resource
            with self._lock:
                self._opened.append(resource)
        return resource

    def drop(self) -> None:
        """Close the calling thread's resource, if any: its next ``get`` opens another."""
        resource: T | None = getattr(self._local, "resource", None)
        self._local.resource = None
        if resource is not None:
            with self._lock:
                self._opened = [r for r in self._opened if r is not resource]
            self._close(resource)

    def close(self) -> None:
        with self._lock:
            resources, self._opened = self._opened, []
        for resource in resources:
            self._close(resource)
