"""When to try a message again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff between attempts; the message is dead-lettered after the last one.

    ``lease`` is how long a sender may hold a claimed message before another worker assumes
    it crashed and sends it again.
    """

    max_attempts: int = 6
    base_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=2)
    lease: timedelta = timedelta(minutes=5)

    def delay(self, attempt: int, retry_after: float | None = None) -> timedelta:
        """The wait after failed attempt number ``attempt`` (1-based).

        A provider's Retry-After wins when it asks for longer than our own schedule: sending
        sooner would only be throttled again.
        """
        backoff = min(self.base_delay * 2 ** (attempt - 1), self.max_delay)
        if retry_after is not None:
            return max(backoff, timedelta(seconds=retry_after))
        return backoff

    def is_last(self, attempt: int) -> bool:
        return attempt >= self.max_attempts
