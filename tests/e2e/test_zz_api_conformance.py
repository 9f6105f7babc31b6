"""Schemathesis against each service's OpenAPI document, through the gateway, as a
signed-in user, every check on (#16): what the services answer is what they document.

Bounded and seeded so a failure reproduces: ``EXAMPLES`` cases per operation and phase,
seed ``SEED``. On failure the output names the operation, the check and a curl command.

The fuzzing gets a platform of its own (without Redis: the embedded rate-limit and session
stores): its thousands of sign-in attempts from 127.0.0.1 spend the per-address budgets, and
on the session-wide platform the tests that ran after it met 429s (which tests run after it
depends on how xdist hands out files).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .client import sign_up_and_log_in
from .platform import Platform, running_platform

# auth last: its fuzzing spends the per-address sign-in budget the other three need to sign
# up and log in their own fuzzing user.
SERVICES = ("core", "notification", "search", "auth")
EXAMPLES = 20
SEED = 16
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CONFIG = Path(__file__).with_name("schemathesis.toml")
# The stateful phase guesses links between operations by field names; for notification it
# feeds a device's id into DELETE /v1/devices/{token} (addressed by push token) and reports
# the 404 as "created resource not found". The other phases still run every check there.
PHASES = {"notification": ("--phases=examples,coverage,fuzzing",)}


@pytest.fixture(scope="module")
def fuzz_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with running_platform(tmp_path_factory, redis_url=None) as running:
        yield running


@pytest.mark.parametrize("service", SERVICES)
def test_every_answer_matches_the_openapi_document(
    fuzz_platform: Platform, service: str, tmp_path: Path
) -> None:
    platform = fuzz_platform
    user = sign_up_and_log_in(platform.base_url, "Fuzz", platform.outbox_dir)
    run = subprocess.run(
        [
            str(SCHEMATHESIS),
            f"--config-file={CONFIG}",
            "run",
            f"{platform.base_url}/v1/{service}/openapi.json",
            f"--url={platform.base_url}",
            "--checks=all",
            f"--max-examples={EXAMPLES}",
            f"--seed={SEED}",
            # Same seed, same cases: no example database carried between runs, no
            # randomness in how generation is spread over the phases.
            "--generation-deterministic",
            *PHASES.get(service, ()),
            "--workers=1",
            # Under the gateway's per-address limit (200/s in the e2e platform): faster, its
            # 429s replaced the 401 a check expected, depending on how fast the machine ran.
            "--rate-limit=100/s",
            "--request-timeout=15",
            f"--header=Authorization: Bearer {user.access_token}",
            f"--report-dir={tmp_path}",
            "--warnings=off",
        ],
        capture_output=True,
        text=True,
        timeout=480,
    )
    assert run.returncode == 0, failures(run.stdout) + run.stderr[-2000:]
    print(service, summary(run.stdout))  # the case count, to compare runs (pytest -s)


def summary(output: str) -> str:
    """Schemathesis's closing lines: operations, phases and test cases generated."""
    return "\n".join(
        line for line in output.splitlines() if "generated" in line or "Test cases" in line
    )


def failures(output: str) -> str:
    """The FAILURES section (each operation, check, answer and curl command), then the
    summary; the progress lines before it are left out."""
    start = output.find("=== FAILURES")
    return output[start if start >= 0 else 0 :][-16000:]
