"""The clock every use case takes: a callable returning an aware UTC ``datetime``.

Use cases take ``clock: Clock`` (or ``now: datetime``) instead of calling ``datetime.now``,
so tests pass a fixed or stepping clock; ``utcnow`` is the real one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)
