"""The ``Throttle`` port on ``limits``: sliding windows in Redis, or in a shared SQLite file."""

from __future__ import annotations

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


class LimitsThrottle(ports.Throttle):
    def __init__(self, storage: Storage) -> None:
        self._limiter = MovingWindowRateLimiter(storage)

    @staticmethod
    def _item(limit: Limit) -> RateLimitItemPerSecond:
        return RateLimitItemPerSecond(limit.amount, limit.seconds, namespace=NAMESPACE)

    def hit(self, name: str, key: str, limit: Limit) -> None:
        item = self._item(limit)
        if not self._limiter.hit(item, name, key):
            raise Throttled(self._retry_after(item, name, key))

    def check(self, name: str, key: str, limit: Limit) -> None:
        item = self._item(limit)
        if not self._limiter.test(item, name, key):
            raise Throttled(self._retry_after(item, name, key))

    def remaining(self, name: str, key: str, limit: Limit) -> int:
        return int(self._limiter.get_window_stats(self._item(limit), name, key).remaining)

    def clear(self, name: str, key: str, limit: Limit) -> None:
        self._limiter.clear(self._item(limit), name, key)

    def _retry_after(self, item: RateLimitItemPerSecond, name: str, key: str) -> int:
        reset_time = self._limiter.get_window_stats(item, name, key).reset_time
        return max(1, math.ceil(reset_time - time.time()))
