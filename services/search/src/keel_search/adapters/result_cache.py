"""``ResultCache`` in this process's memory: least recently used answers go first.

Only answers of the newest index state are kept: the first lookup or answer of a newer
``state_version`` drops the older answers, since no request can match them again. No
time-to-live: an answer is right exactly as long as the state it was made from.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from keel_search.adapters.metrics import RESULT_CACHE_LOOKUPS
from keel_search.service_layer.ports import ResultCache

# What an entry costs beyond its answer's bytes: the key (a parsed query), the bytes object
# and the dictionary slot, roughly; it keeps many tiny answers from escaping the byte bound.
ENTRY_OVERHEAD = 500


class InMemoryResultCache(ResultCache):
    def __init__(self, max_entries: int, max_bytes: int, service: str = "search") -> None:
        if max_entries < 1 or max_bytes < 1:
            raise ValueError("a cache holds at least one entry and one byte (0 means: no cache)")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._version: int | None = None
        self._answers: OrderedDict[Hashable, bytes] = OrderedDict()
        self._bytes = 0
        self._hits = RESULT_CACHE_LOOKUPS.labels(service, "hit")
        self._misses = RESULT_CACHE_LOOKUPS.labels(service, "miss")

    def get(self, version: int, key: Hashable) -> bytes | None:
        with self._lock:
            if version == self._version:
                answer = self._answers.get(key)
                if answer is not None:
                    self._answers.move_to_end(key)
            else:
                answer = None
                self._follow(version)
        (self._misses if answer is None else self._hits).inc()
        return answer

    def put(self, version: int, key: Hashable, answer: bytes) -> None:
        size = len(answer) + ENTRY_OVERHEAD
        if size > self.max_bytes:
            return
        with self._lock:
            self._follow(version)
            if version != self._version:
                return  # made from a state already replaced: no request asks for it now
            previous = self._answers.pop(key, None)
            if previous is not None:
                self._bytes -= len(previous) + ENTRY_OVERHEAD
            self._answers[key] = answer
            self._bytes += size
            while len(self._answers) > self.max_entries or self._bytes > self.max_bytes:
                _, dropped = self._answers.popitem(last=False)
                self._bytes -= len(dropped) + ENTRY_OVERHEAD

    def __len__(self) -> int:
        return len(self._answers)

    @property
    def size_bytes(self) -> int:
        """The bytes the kept answers are counted for (their length plus an overhead)."""
        return self._bytes

    def _follow(self, version: int) -> None:
        """Drop every answer when ``version`` is newer than theirs (call under the lock)."""
        if self._version is None or version > self._version:
            self._version = version
            self._answers.clear()
            self._bytes = 0
