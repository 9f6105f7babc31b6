"""Every script under ``bench/`` still runs, on tiny settings, against the real servers.

The benchmarks drive the services from outside, so a changed contract breaks them without
breaking any service test: this session found core's bench minting tokens without the
``typ`` the verifiers now require (every call 401) and notification's assuming it consumed
one queue. Figures are not looked at (no timed assertion); each script must exit 0 and
print the rows it exists to print. ``bench/http``'s two scripts are in
``test_bench_http_scripts.py``: the slowest pair, on another xdist worker (``--dist loadfile``).
"""

from __future__ import annotations

import pytest

from .bench_scripts import runs_and_prints

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# (script and tiny settings, text every run prints)
SCRIPTS = {
    "auth": (["bench/auth/run.py", "--seconds", "0.2"], "a new token each call"),
    "core": (["bench/core/run.py", "--requests", "30", "--concurrency", "2"], "POST /v1/orders"),
    "messaging": (
        ["bench/messaging/run.py", "--messages", "200", "--embedded-messages", "50"],
        "layer vs raw pika",
    ),
    "notification": (
        ["bench/notification/run.py", "--events", "20", "--users", "5", "--skip-celery"],
        "keel worker",
    ),
    "search": (["bench/search/run.py", "--sizes", "2000", "--queries", "12"], "typing (prefix)"),
    "search lag": (["bench/search/lag.py", "--rates", "50", "--events", "20"], "p95"),
    "search cache": (
        [
            "bench/search/cache.py",
            "--products",
            "2000",
            "--distinct",
            "30",
            "--commits",
            "5",
            "--seconds",
            "1",
        ],
        "hit ratio",
    ),
    "console": (
        [
            "bench/console/run.py",
            "--users",
            "300",
            "--orders",
            "300",
            "--deliveries",
            "600",
            "--repeat",
            "1",
            "--postgres",
            POSTGRES_ADMIN,
        ],
        "GET /v1/admin/notifications/stats",
    ),
}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_the_bench_script_runs(name: str) -> None:
    runs_and_prints(*SCRIPTS[name])
