"""A black-box attack run through the gateway (issue #11, "Done when"): what an outsider
tries first against a started platform, and what each attempt must get. Nothing here reads
the services' code or databases; the only side channel used is what a victim would see (the
development outbox: emails and texts the platform sent).

The per-IP limits of the platform are shared with the rest of the e2e suite (one client
address), so each attack stays under them: the limits themselves are tested in auth's tests.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from .client import TIMEOUT, assert_problem, eventually, read_emails, text_body
from .platform import Platform

PASSWORD = "correct horse battery staple"
ADMIN_PATHS = (
    "/v1/admin/products",
    "/v1/admin/orders",
    "/v1/admin/app-versions",
    "/v1/admin/notifications",
    "/v1/admin/search/dead-letters",
)


def post(platform: Platform, path: str, body: Any, token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(platform.base_url + path, json=body, headers=headers, timeout=TIMEOUT)


def address(name: str) -> str:
    return f"{name}.{secrets.token_hex(4)}@example.com"


def phone() -> str:
    """A fictional North American number (555-01xx), new each call."""
    return f"+1415555{secrets.randbelow(10_000):04d}"


def texts_to(outbox_dir: Path, number: str) -> list[str]:
    """The bodies of the texts the platform sent to ``number`` (dev file provider)."""
    found = []
    for path in sorted((outbox_dir / "sms").glob("*.txt")):
        head, _, body = path.read_text().partition("\n\n")
        if f"\nto: {number}\n" in f"\n{head}\n":
            found.append(body)
    return found


def first_code(texts: list[str]) -> str | None:
    codes = re.findall(r"\b\d{6}\b", "".join(texts))
    return codes[0] if codes else None


def emailed(outbox_dir: Path, to: str, pattern: str) -> str:
    def find() -> str | None:
        for message in reversed(read_emails(outbox_dir)):
            match = re.search(pattern, text_body(message))
            if message["To"] == to and match:
                return match.group(1) if match.groups() else match.group(0)
        return None

    return eventually(find, f"an email to {to} matching {pattern}")


def signed_in(platform: Platform, email: str) -> dict[str, Any]:
    """Sign up and follow the welcome link: a verified account and its token pair."""
    assert post(platform, "/v1/auth/signup", {"email": email, "password": PASSWORD}).ok
    token = emailed(platform.outbox_dir, email, r"/verify-email\?token=([\w.-]+)")
    verified = post(platform, "/v1/auth/email/verify", {"token": token})
    assert verified.status_code == 200, verified.text
    return dict(verified.json())


def test_enumeration_every_account_door_answers_alike(platform: Platform) -> None:
    """Sign-up, resend, forgot-password and OTP request: a registered address or number gets
    the same status and body as an unknown one."""
    known = address("known")
    signed_in(platform, known)
    doors = {
        "/v1/auth/signup": lambda e: {"email": e, "password": "another " + PASSWORD},
        "/v1/auth/email/resend": lambda e: {"email": e},
        "/v1/auth/password/forgot": lambda e: {"email": e},
    }
    for path, body in doors.items():
        registered = post(platform, path, body(known))
        unknown = post(platform, path, body(address("unknown")))
        assert registered.status_code == unknown.status_code == 202, path
        assert registered.content == unknown.content, path
    login = {"password": "wrong " + PASSWORD}
    wrong = post(platform, "/v1/auth/login", {**login, "email": known})
    nobody = post(platform, "/v1/auth/login", {**login, "email": address("nobody")})
    assert (wrong.status_code, wrong.json()["detail"]) == (401, nobody.json()["detail"])


def test_pre_hijacking_the_victim_signs_up_later_and_takes_the_account(
    platform: Platform,
) -> None:
    """The attacker registers the victim's address with their own password and phone; the
    victim's later sign-up looks normal, and the reset it leads to leaves the attacker no
    password, no phone and no session."""
    victim, attackers_phone = address("victim"), phone()
    attacker = {"email": victim, "password": "attacker chosen passphrase"}
    assert post(platform, "/v1/auth/signup", {**attacker, "phone": attackers_phone}).ok
    assert_problem(post(platform, "/v1/auth/login", attacker), 403)

    later = post(platform, "/v1/auth/signup", {"email": victim, "password": PASSWORD})
    assert later.status_code == 202
    emailed(platform.outbox_dir, victim, r"tried to create an account")
    post(platform, "/v1/auth/password/forgot", {"email": victim})
    token = emailed(platform.outbox_dir, victim, r"/reset-password\?token=([\w.-]+)")
    assert post(platform, "/v1/auth/password/reset", {"token": token, "password": PASSWORD}).ok

    assert_problem(post(platform, "/v1/auth/login", attacker), 401)
    assert post(platform, "/v1/auth/otp/request", {"phone": attackers_phone}).status_code == 202
    assert texts_to(platform.outbox_dir, attackers_phone) == []
    owner = post(platform, "/v1/auth/login", {"email": victim, "password": PASSWORD})
    assert owner.status_code == 200


def test_sms_pumping_unproven_numbers_get_no_text_and_spend_nothing(platform: Platform) -> None:
    """Sign-ups carrying numbers nobody proved, then OTP requests to them and to numbers
    nobody registered: no text goes out; a proven number still gets its code."""
    pumped = [phone() for _ in range(12)]
    for number in pumped:
        body = {"email": address("pump"), "password": PASSWORD, "phone": number}
        assert post(platform, "/v1/auth/signup", body).status_code == 202
    for number in (*pumped[:3], phone()):
        assert post(platform, "/v1/auth/otp/request", {"phone": number}).status_code == 202

    owner, owners_phone = signed_in(platform, address("owner")), phone()
    token = owner["access_token"]
    assert post(platform, "/v1/auth/phone", {"phone": owners_phone}, token).status_code == 202
    code = eventually(lambda: first_code(texts_to(platform.outbox_dir, owners_phone)), "a code")
    proved = post(platform, "/v1/auth/phone/verify", {"phone": owners_phone, "code": code}, token)
    assert proved.status_code == 200 and proved.json()["phone_verified"] is True
    assert post(platform, "/v1/auth/otp/request", {"phone": owners_phone}).status_code == 202
    eventually(lambda: len(texts_to(platform.outbox_dir, owners_phone)) >= 2, "the login code")
    assert [n for n in pumped if texts_to(platform.outbox_dir, n)] == []


def test_sixteen_concurrent_guesses_check_at_most_the_cap(platform: Platform) -> None:
    email = address("guessed")
    signed_in(platform, email)
    start = threading.Barrier(16)

    def guess(n: int) -> int:
        start.wait()
        body = {"email": email, "password": f"guess {n:08d}"}
        return post(platform, "/v1/auth/login", body).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(guess, range(16)))
    assert set(statuses) <= {401, 429} and statuses.count(401) <= 10, statuses
    # The budget is spent: even the right password waits (no lockout, a Retry-After).
    right = post(platform, "/v1/auth/login", {"email": email, "password": PASSWORD})
    assert assert_problem(right, 429) and right.headers["Retry-After"]


def test_a_double_submitted_verification_link_signs_in_once(platform: Platform) -> None:
    email = address("double")
    assert post(platform, "/v1/auth/signup", {"email": email, "password": PASSWORD}).ok
    token = emailed(platform.outbox_dir, email, r"/verify-email\?token=([\w.-]+)")
    with ThreadPoolExecutor(2) as pool:
        verifies = list(
            pool.map(lambda _: post(platform, "/v1/auth/email/verify", {"token": token}), range(2))
        )
    assert sorted(r.status_code for r in verifies) == [200, 401]


def test_a_double_submitted_reset_link_acts_once(platform: Platform) -> None:
    """One wins, the other is a 4xx problem, never a 500."""
    email = address("double")
    signed_in(platform, email)
    post(platform, "/v1/auth/password/forgot", {"email": email})
    reset = emailed(platform.outbox_dir, email, r"/reset-password\?token=([\w.-]+)")
    body = {"token": reset, "password": "a new " + PASSWORD}
    with ThreadPoolExecutor(2) as pool:
        resets = list(pool.map(lambda _: post(platform, "/v1/auth/password/reset", body), range(2)))
    statuses = sorted(r.status_code for r in resets)
    assert statuses[0] == 204 and all(400 <= s < 500 for s in statuses[1:]), statuses


HOSTILE = {
    "NUL": "Ada\x00Lovelace",
    "escape sequence": "Ada\x1b[31mLovelace",
    "DEL": "Ada\x7f",
    "huge": "A" * 200_000,
    "lone surrogate": "Ada\ud83d",
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("field", ["name", "email", "password"])
def test_hostile_text_is_a_4xx_problem_everywhere(
    platform: Platform, field: str, text: str
) -> None:
    body = {"email": address("hostile"), "password": PASSWORD, "name": "Ada", field: text}
    for path in ("/v1/auth/signup", "/v1/auth/login"):
        sent = {k: v for k, v in body.items() if path.endswith("signup") or k != "name"}
        # ASCII-escaped JSON: a lone surrogate travels as the \ud83d a client would send.
        data = json.dumps(sent)
        response = requests.post(
            platform.base_url + path,
            data=data,
            headers={"Content-Type": "application/json"},
            timeout=TIMEOUT,
        )
        assert 400 <= response.status_code < 500, (path, response.status_code, response.text[:200])
        assert_problem(response, response.status_code)


def test_emoji_are_text_not_an_attack(platform: Platform) -> None:
    body = {"email": address("emoji"), "password": "🔒 " + PASSWORD, "name": "Ada 👩‍💻"}
    assert post(platform, "/v1/auth/signup", body).status_code == 202


@pytest.mark.parametrize("path", ADMIN_PATHS)
def test_admin_apis_refuse_outsiders_and_are_never_cached(platform: Platform, path: str) -> None:
    user = signed_in(platform, address("outsider")) if path == ADMIN_PATHS[0] else None
    anonymous = requests.get(platform.base_url + path, timeout=TIMEOUT)
    assert_problem(anonymous, 401)
    assert anonymous.headers["Cache-Control"] == "no-store"
    if user is not None:
        bearer = {"Authorization": f"Bearer {user['access_token']}"}
        forbidden = requests.get(platform.base_url + path, headers=bearer, timeout=TIMEOUT)
        assert_problem(forbidden, 403)
        assert forbidden.headers["Cache-Control"] == "no-store"
