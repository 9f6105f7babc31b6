"""Limits hold exactly across processes: the embedded SQLite storage and Redis."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from keel_auth.adapters.throttle import LimitsThrottle, create_storage
from keel_auth.domain.errors import Throttled
from keel_auth.domain.policy import Limit

LIMIT = Limit(25, 600)
PROCESSES = 4
ATTEMPTS_EACH = 20


def _attempt(redis_url: str | None, path: str, start: object) -> int:
    throttle = LimitsThrottle(create_storage(redis_url, Path(path)))
    start.wait()  # type: ignore[attr-defined]
    allowed = 0
    for _ in range(ATTEMPTS_EACH):
        try:
            throttle.hit("login-failures", "ada@example.com", LIMIT)
            allowed += 1
        except Throttled:
            pass
    return allowed


def allowed_across_processes(redis_url: str | None, path: Path) -> int:
    # fork: the children inherit this test module, which spawn could not import.
    context = multiprocessing.get_context("fork")
    with context.Manager() as manager:
        start = manager.Event()
        with context.Pool(PROCESSES) as pool:
            results = [
                pool.apply_async(_attempt, (redis_url, str(path), start)) for _ in range(PROCESSES)
            ]
            start.set()
            return sum(result.get(timeout=60) for result in results)


def test_the_embedded_storage_is_exact_across_processes(tmp_path: Path) -> None:
    assert allowed_across_processes(None, tmp_path / "limits.db") == LIMIT.amount


@pytest.mark.redis
def test_redis_storage_is_exact_across_processes(redis_url: str, tmp_path: Path) -> None:
    assert allowed_across_processes(redis_url, tmp_path / "unused.db") == LIMIT.amount


def test_retry_after_is_when_the_oldest_attempt_leaves_the_window(tmp_path: Path) -> None:
    throttle = LimitsThrottle(create_storage(None, tmp_path / "limits.db"))
    for _ in range(3):
        throttle.hit("otp-verify-phone", "+14155550123", Limit(3, 600))
    with pytest.raises(Throttled) as caught:
        throttle.hit("otp-verify-phone", "+14155550123", Limit(3, 600))
    assert 590 <= caught.value.retry_after <= 600
    throttle.hit("otp-verify-phone", "+14155550999", Limit(3, 600))  # other keys unaffected
