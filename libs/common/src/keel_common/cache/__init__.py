"""Read caches shared by every process of a service: the generational protocol
(``generations``) over a key-value store (``stores``: Redis, a SQLite file, or memory)."""

from keel_common.cache.epoch import SharedEpochCopies
from keel_common.cache.generations import RETRY_AFTER, Entry, GenerationalCache
from keel_common.cache.near import LeasedCopies, NearCopies
from keel_common.cache.stores import (
    CacheUnavailable,
    InMemoryStore,
    KeyValueStore,
    RedisStore,
    SqliteStore,
)

__all__ = [
    "RETRY_AFTER",
    "CacheUnavailable",
    "Entry",
    "GenerationalCache",
    "InMemoryStore",
    "KeyValueStore",
    "LeasedCopies",
    "NearCopies",
    "RedisStore",
    "SharedEpochCopies",
    "SqliteStore",
]
