"""The ``Throttle`` port on ``limits``: sliding windows in Redis, or in a shared SQLite file.

Limits are kept per email address, phone number or client address; the storage sees only a
keyed hash of each (HMAC-SHA-256 under a key derived from the deployment's secret), so Redis
and the local file hold no personal data an account's erasure would have to find, and a dump
of them cannot be reversed by hashing every phone number.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from pathlib import Path

from limits import RateLimitItemPerSecond
from limits.storage import RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from keel_auth.adapters.rate_limit_storage import SqliteStorage
from keel_auth.domain.errors import Throttled
from keel_auth.domain.policy import Limit
from keel_auth.service_layer import ports

NAMESPACE = "keel-auth"


def create_storage(redis_url: str | None, sqlite_path: Path) -> Storage:
    """Redis when ``REDIS_URL`` is set (every replica shares it), else the local file."""
    if redis_url:
        return RedisStorage(redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)
    return SqliteStorage(path=sqlite_path)


def pseudonym_key(secret: bytes) -> bytes:
    """The HMAC key for limit identifiers, derived so it is used for nothing else."""
    return hmac.new(secret, b"keel-auth rate-limit identifiers", hashlib.sha256).digest()


class LimitsThrottle(ports.Throttle):
    def __init__(self, storage: Storage, identifier_key: bytes) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._identifier_key = identifier_key

    def _pseudonym(self, key: str) -> str:
        return hmac.new(self._identifier_key, key.encode(), hashlib.sha256).hexdigest()[:32]

    @staticmethod
    def _item(limit: Limit) -> RateLimitItemPerSecond:
        return RateLimitItemPerSecond(limit.amount, limit.seconds, namespace=NAMESPACE)

    def hit(self, name: str, key: str, limit: Limit) -> None:
        item, key = self._item(limit), self._pseudonym(key)
        if not self._limiter.hit(item, name, key):
            raise Throttled(self._retry_after(item, name, key))

    def check(self, name: str, key: str, limit: Limit) -> None:
        item, key = self._item(limit), self._pseudonym(key)
        if not self._limiter.test(item, name, key):
            raise Throttled(self._retry_after(item, name, key))

    def remaining(self, name: str, key: str, limit: Limit) -> int:
        stats = self._limiter.get_window_stats(self._item(limit), name, self._pseudonym(key))
        return int(stats.remaining)

    def clear(self, name: str, key: str, limit: Limit) -> None:
        self._limiter.clear(self._item(limit), name, self._pseudonym(key))

    def _retry_after(self, item: RateLimitItemPerSecond, name: str, key: str) -> int:
        reset_time = self._limiter.get_window_stats(item, name, key).reset_time
        return max(1, math.ceil(reset_time - time.time()))
