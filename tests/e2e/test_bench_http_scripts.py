"""``bench/http``'s scripts still run, on tiny settings (see ``test_bench_scripts``): a file
of their own, so that ``--dist loadfile`` runs them beside the other scripts, not after."""

from __future__ import annotations

import pytest

from .bench_scripts import runs_and_prints

SCRIPTS = {
    "http": (
        [
            "bench/http/run.py",
            "--seconds",
            "1",
            "--repeat",
            "1",
            "--products",
            "500",
            "--shapes",
            "embedded",
        ],
        "GET /v1/auth/me",
    ),
    "http split": (
        # Rows only: the script fails when no request was counted inside the app.
        ["bench/http/split.py", "--seconds", "1", "--repeat", "1", "--shapes", "embedded"],
        "GET /v1/auth/me",
    ),
}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_the_http_bench_script_runs(name: str) -> None:
    runs_and_prints(*SCRIPTS[name])
