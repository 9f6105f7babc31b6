"""Limits hold exactly across processes: the embedded SQLite storage and Redis."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from keel_auth.adapters.throttle import LimitsThrottle, create_storage
from keel_auth.domain.errors import Throttled
from keel_auth.domain.policy import Limit

LIMIT = Limit(25, 600)
PROCESSES = 4
ATTEMPTS_EACH = 20


# Each contender is a separate interpreter (not a fork of this threaded test worker, which
# can deadlock): it waits for the start file, then hits the limit ATTEMPTS_EACH times.
CONTENDER = """
import sys, time
from pathlib import Path
from keel_auth.adapters.throttle import LimitsThrottle, create_storage
from keel_auth.domain.errors import Throttled
from keel_auth.domain.policy import Limit
redis_url, path, go, amount, window, attempts = sys.argv[1:7]
throttle = LimitsThrottle(create_storage(redis_url or None, Path(path)), b"test-key")
while not Path(go).exists():
    time.sleep(0.01)
allowed = 0
for _ in range(int(attempts)):
    try:
        throttle.hit("login-failures", "ada@example.com", Limit(int(amount), int(window)))
        allowed += 1
    except Throttled:
        pass
print(allowed)
"""


def allowed_across_processes(redis_url: str | None, path: Path) -> int:
    go = path.with_name("go")
    args = [redis_url or "", str(path), str(go), str(LIMIT.amount), str(LIMIT.seconds)]
    contenders = [
        subprocess.Popen(
            [sys.executable, "-c", CONTENDER, *args, str(ATTEMPTS_EACH)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    time.sleep(1.0)  # let every interpreter start before the race begins (not an assertion)
    go.touch()
    outputs = [c.communicate(timeout=120)[0] for c in contenders]
    assert all(c.returncode == 0 for c in contenders)
    return sum(int(out.strip()) for out in outputs)


def test_the_embedded_storage_is_exact_across_processes(tmp_path: Path) -> None:
    assert allowed_across_processes(None, tmp_path / "limits.db") == LIMIT.amount


@pytest.mark.redis
def test_redis_storage_is_exact_across_processes(redis_url: str, tmp_path: Path) -> None:
    assert allowed_across_processes(redis_url, tmp_path / "unused.db") == LIMIT.amount


def test_retry_after_is_when_the_oldest_attempt_leaves_the_window(tmp_path: Path) -> None:
    throttle = LimitsThrottle(create_storage(None, tmp_path / "limits.db"), b"test-key")
    for _ in range(3):
        throttle.hit("otp-verify-phone", "+14155550123", Limit(3, 600))
    with pytest.raises(Throttled) as caught:
        throttle.hit("otp-verify-phone", "+14155550123", Limit(3, 600))
    assert 590 <= caught.value.retry_after <= 600
    throttle.hit("otp-verify-phone", "+14155550999", Limit(3, 600))  # other keys unaffected


def _hit_with_personal_data(throttle: LimitsThrottle) -> None:
    throttle.hit("login-failures", "Ada.Lovelace@example.com", Limit(5, 600))
    throttle.hit("phone-code-phone", "+14155550123", Limit(5, 600))


def test_the_embedded_storage_holds_no_email_or_phone(tmp_path: Path) -> None:
    path = tmp_path / "limits.db"
    throttle = LimitsThrottle(create_storage(None, path), b"test-key")
    _hit_with_personal_data(throttle)
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())  # the file and its WAL
    assert b"Ada.Lovelace" not in stored and b"4155550123" not in stored
    assert throttle.remaining("login-failures", "Ada.Lovelace@example.com", Limit(5, 600)) == 4


@pytest.mark.redis
def test_redis_holds_no_email_or_phone(redis_url: str, tmp_path: Path) -> None:
    import redis

    throttle = LimitsThrottle(create_storage(redis_url, tmp_path / "unused.db"), b"test-key")
    _hit_with_personal_data(throttle)
    client = redis.Redis.from_url(redis_url)
    keys = b" ".join(client.keys("*"))
    values = b" ".join(v for k in client.keys("*") for v in client.lrange(k, 0, -1))
    assert b"keel-auth" in keys  # the limits are there
    assert b"Ada.Lovelace" not in keys + values and b"4155550123" not in keys + values
    assert throttle.remaining("phone-code-phone", "+14155550123", Limit(5, 600)) == 4


def test_a_different_key_makes_different_identifiers(tmp_path: Path) -> None:
    storage = create_storage(None, tmp_path / "limits.db")
    LimitsThrottle(storage, b"one-key").hit("login-failures", "ada@example.com", Limit(1, 600))
    LimitsThrottle(storage, b"other-key").hit("login-failures", "ada@example.com", Limit(1, 600))
    with pytest.raises(Throttled):
        LimitsThrottle(storage, b"one-key").hit("login-failures", "ada@example.com", Limit(1, 600))
