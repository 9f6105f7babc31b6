"""What the two-factor and passkey tests share: a clock tests move in TOTP steps, and
helpers that drive enrolment and the challenge like a client app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import requests

from .conftest import Client

STEP = 30


class StepClock:
    """Starts a few minutes in the past (tokens it stamps stay valid for the real-time
    verifier) at the start of a TOTP step; ``next_step`` makes the next code fresh."""

    def __init__(self) -> None:
        start = int((datetime.now(UTC) - timedelta(minutes=8)).timestamp()) // STEP * STEP
        self.now = datetime.fromtimestamp(start + 1, UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def next_step(self) -> None:
        self.advance(STEP)


def code(secret: str, clock: StepClock) -> str:
    return pyotp.TOTP(secret).at(clock.now)


def enable_totp(client: Client, clock: StepClock, access_token: str) -> tuple[str, list[str]]:
    """Turn two-factor on; returns the secret and the recovery codes. The clock ends on a
    fresh step, so the next code has not been used."""
    started = client.post("/v1/auth/mfa/totp", token=access_token)
    assert started.status_code == 200, started.text
    secret = started.json()["secret"]
    verified = client.post("/v1/auth/mfa/totp/verify", {"code": code(secret, clock)}, access_token)
    assert verified.status_code == 200, verified.text
    clock.next_step()
    return secret, verified.json()["recovery_codes"]


def challenge(client: Client, mfa_token: str, **answer: str) -> requests.Response:
    return client.post("/v1/auth/mfa/challenge", {"mfa_token": mfa_token, **answer})


def delete(client: Client, path: str, token: str, body: Any = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.delete(client.base_url + path, json=body, headers=headers, timeout=10)
