"""The account attacks of issue #11, run through the gateway as an outsider would: sign-up
enumeration, account pre-hijacking, parallel password guesses, double submits and hostile
text. Each answer is the one the defence gives; an undefended platform fails here."""

from __future__ import annotations

import re
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from .client import TIMEOUT, assert_problem, eventually, read_emails, text_body
from .platform import Platform

PASSWORD = "correct horse battery staple"


def post(platform: Platform, path: str, body: dict[str, str]) -> requests.Response:
    return requests.post(platform.base_url + path, json=body, timeout=TIMEOUT)


def address(name: str) -> str:
    return f"{name}.{secrets.token_hex(4)}@example.com"


def emailed_token(outbox_dir: Path, to: str, page: str) -> str:
    def find() -> str | None:
        for message in reversed(read_emails(outbox_dir)):
            found = re.search(rf"/{page}\?token=([\w.-]+)", text_body(message))
            if message["To"] == to and found:
                return found.group(1)
        return None

    return eventually(find, f"the {page} email to {to}")


def test_sign_up_does_not_tell_whether_an_address_is_registered(platform: Platform) -> None:
    taken = address("taken")
    post(platform, "/v1/auth/signup", {"email": taken, "password": PASSWORD})
    again = post(platform, "/v1/auth/signup", {"email": taken, "password": "other " + PASSWORD})
    fresh = post(platform, "/v1/auth/signup", {"email": address("fresh"), "password": PASSWORD})
    assert (again.status_code, again.content) == (fresh.status_code, fresh.content)
    assert again.status_code == 202


def test_a_pre_registered_account_is_taken_back_by_its_owner(platform: Platform) -> None:
    victim = address("ceo")
    attacker = {"email": victim, "password": "attacker chosen passphrase"}
    assert post(platform, "/v1/auth/signup", {**attacker, "phone": "+14155550199"}).ok
    refused = post(platform, "/v1/auth/login", attacker)
    assert_problem(refused, 403)
    assert refused.json()["type"].endswith("email-not-verified")

    post(platform, "/v1/auth/password/forgot", {"email": victim})
    token = emailed_token(platform.outbox_dir, victim, "reset-password")
    reset = {"token": token, "password": "the real owner's passphrase"}
    assert post(platform, "/v1/auth/password/reset", reset).status_code == 204

    assert_problem(post(platform, "/v1/auth/login", attacker), 401)
    owner = post(platform, "/v1/auth/login", {"email": victim, "password": reset["password"]})
    assert owner.status_code == 200
    me = requests.get(
        platform.base_url + "/v1/auth/me",
        headers={"Authorization": f"Bearer {owner.json()['access_token']}"},
        timeout=TIMEOUT,
    ).json()
    assert (me["phone"], me["pending_phone"], me["email_verified"]) == (None, None, True)


def test_parallel_password_guesses_get_at_most_the_cap_checked(platform: Platform) -> None:
    email = address("guessed")
    post(platform, "/v1/auth/signup", {"email": email, "password": PASSWORD})
    start = threading.Barrier(16)

    def guess(n: int) -> int:
        start.wait()
        return post(
            platform, "/v1/auth/login", {"email": email, "password": f"guess {n:08d}"}
        ).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(guess, range(16)))
    assert statuses.count(401) <= 10
    assert set(statuses) <= {401, 429}


def test_a_double_submitted_sign_up_and_hostile_text_are_4xx(platform: Platform) -> None:
    body = {"email": address("double"), "password": PASSWORD}
    with ThreadPoolExecutor(2) as pool:
        statuses = list(
            pool.map(lambda _: post(platform, "/v1/auth/signup", body).status_code, range(2))
        )
    assert statuses == [202, 202]
    hostile = post(platform, "/v1/auth/signup", {**body, "name": "Ada\x00Lovelace"})
    assert_problem(hostile, 422)
    unknown_phone = post(platform, "/v1/auth/otp/request", {"phone": "+14155550123"})
    assert unknown_phone.status_code == 202
