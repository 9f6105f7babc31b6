"""Running a ``bench/`` script on tiny settings, for ``test_bench_scripts`` and
``test_bench_http_scripts``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def runs_and_prints(command: list[str], expected: str) -> None:
    """``command`` exits 0 and prints ``expected``, and no row counted failed requests."""
    done = subprocess.run(
        [sys.executable, *command], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}:\n{output[-4000:]}"
    assert expected in done.stdout, output[-4000:]
    # A row with failed requests measures the failure (bench/http's orders past the daily
    # quota were 409s), not the call.
    assert "errors=" not in done.stdout, done.stdout
