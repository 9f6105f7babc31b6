"""A read cache that stays correct across processes: values tagged with a generation.

Every cached value is stored under a key together with the *generation* of what it depends
on (a random token under a generation key). A write replaces the generations it affects with
fresh tokens right after its transaction commits, so a value filled from an older read no
longer matches and is a miss. The reader fetches the generation *before* it reads the
database, which is what makes this safe against the race a plain delete-on-write loses: a
slow reader that read the old row before the commit fills it under the old generation, and
nobody will ever serve it. The time-to-live is only a backstop for invalidations lost while
the store was unreachable.

Failures never reach the caller: a read that cannot reach the store is a miss without a
generation (so nothing is filled) and the store is not asked again for ``RETRY_AFTER``
seconds (one slow timeout, not one per request); an invalidation that cannot reach it is
remembered and replayed before this process trusts the store again. What a service caches,
its key names and its metrics are the caller's (``on_read``, ``on_invalidation``).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

from keel_common.cache.near import NearCopies
from keel_common.cache.stores import CacheUnavailable, KeyValueStore

log = logging.getLogger(__name__)

RETRY_AFTER = 1.0


def _ignore(*labels: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Entry:
    """One read: the payload on a hit; on a miss, the generation to fill under (None when
    the store could not be asked: then nothing may be filled). ``also`` holds the values of
    the extra keys read in the same round trip (None each when the store was not asked)."""

    payload: bytes | None
    generation: str | None
    also: tuple[bytes | None, ...] = ()


def _token() -> bytes:
    return secrets.token_hex(8).encode()


class GenerationalCache:
    """``read`` / ``fill`` / ``invalidate`` over a ``KeyValueStore`` (see the module doc).

    ``on_read(kind, result)`` is told each read's result ("hit", "miss", "unavailable") and
    ``on_invalidation(result)`` each invalidation's ("done", "failed"): the service's metrics.
    With ``near`` (``keel_common.cache.near``, ``.epoch``), hits are copied into the process
    and answered from there ("near_hit") while they are known current; an announcement of
    the generation key drops the copy. A hit is copied only while its ``also`` keys are all
    absent, and a copy answers them as absent: whoever writes one of them must ``announce``
    it afterwards (auth's session denylist does), which drops the copies read with it.
    """

    def __init__(
        self,
        store: KeyValueStore,
        ttl: float = 300.0,
        *,
        on_read: Callable[[str, str], None] = _ignore,
        on_invalidation: Callable[[str], None] = _ignore,
        near: NearCopies | None = None,
    ) -> None:
        self.store = store
        self.near = near
        self.ttl = ttl
        self._on_read = on_read
        self._on_invalidation = on_invalidation
        self._lock = threading.Lock()
        self._retry_at = 0.0
        self._lost: set[str] = set()  # generation keys to replace before the next read

    def read(self, kind: str, key: str, generation_key: str, *also: str) -> Entry:
        """The value at ``key`` if it was filled under the current ``generation_key``, and
        the values of the ``also`` keys, in one round trip (one ``MGET`` on Redis)."""
        unknown = (None,) * len(also)
        if not self._usable():
            self._on_read(kind, "unavailable")
            return Entry(None, None, unknown)
        near = self.near
        if near is not None:
            if (copy := near.get(key)) is not None:
                self._on_read(kind, "near_hit")
                return Entry(copy, None, unknown)
            mark = near.mark()
        try:
            value, generation, *extra = self.store.get_many([key, generation_key, *also])
            if generation is None:
                generation = self.store.setdefault(generation_key, _token(), 2 * self.ttl)
        except CacheUnavailable:
            self._trip()
            self._on_read(kind, "unavailable")
            return Entry(None, None, unknown)
        tag = generation + b"\n"
        if value is not None and value.startswith(tag):
            self._on_read(kind, "hit")
            if near is not None and not any(extra):
                near.keep(mark, key, value[len(tag) :], (generation_key, *also))
            return Entry(value[len(tag) :], None, tuple(extra))
        self._on_read(kind, "miss")
        return Entry(None, generation.decode(), tuple(extra))

    def fill(self, key: str, generation: str | None, payload: bytes) -> None:
        """Store ``payload`` under the generation a ``read`` returned before the database read."""
        if generation is None:
            return
        try:
            self.store.set_many({key: generation.encode() + b"\n" + payload}, self.ttl)
        except CacheUnavailable:
            self._trip()

    def invalidate(self, generation_keys: Collection[str]) -> None:
        """Replace these generations (and any lost before); called after a commit."""
        with self._lock:
            keys = self._lost | set(generation_keys)
        if not keys:
            return
        try:
            self.store.set_many({key: _token() for key in keys}, 2 * self.ttl)
            if self.near is not None:
                self.near.announce(keys)
        except CacheUnavailable as exc:
            if self.near is not None:
                self.near.unannounced(keys)
            self._on_invalidation("failed")
            log.warning("cache invalidation failed; replayed later", extra={"error": exc})
            with self._lock:
                self._lost = keys
                self._retry_at = time.monotonic() + RETRY_AFTER
            return
        self._on_invalidation("done")
        with self._lock:
            self._lost -= keys

    def _usable(self) -> bool:
        """False while backing off after a failure, or while lost invalidations fail again."""
        if time.monotonic() < self._retry_at:
            return False
        if self._lost:
            self.invalidate(())
            return not self._lost
        return True

    def _trip(self) -> None:
        self._retry_at = time.monotonic() + RETRY_AFTER
