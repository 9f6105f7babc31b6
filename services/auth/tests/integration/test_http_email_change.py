"""Moving an account to a new email address over HTTP (issue #14), attacks included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import requests
import sqlalchemy as sa

from .conftest import PASSWORD, Client

NEW = "ada.new@example.com"


def change(client: Client, token: str, new_email: str = NEW, **body: Any) -> requests.Response:
    payload = {"new_email": new_email, "password": PASSWORD, **body}
    return client.post("/v1/auth/email/change", payload, token)


def confirm(client: Client, token: str) -> requests.Response:
    return client.post("/v1/auth/email/change/confirm", {"token": token})


def link(client: Client) -> str:
    return str(client.events("auth.email.change_requested.v1")[-1]["confirmation_token"])


def test_the_new_address_gets_a_link_and_the_old_one_a_notice(client: Client) -> None:
    user = client.sign_up()
    token = client.log_in()["access_token"]

    response = change(client, token)

    assert response.status_code == 202
    [event] = client.events("auth.email.change_requested.v1")
    assert (event["email"], event["new_email"]) == ("ada@example.com", NEW)
    assert event["confirmation_token"]
    assert client.get("/v1/auth/me", token).json()["email"] == "ada@example.com"  # not yet
    assert user["email"] == "ada@example.com"


def test_confirming_moves_the_account_and_ends_every_session(client: Client) -> None:
    client.sign_up()
    pair = client.log_in()
    change(client, pair["access_token"])

    response = confirm(client, link(client))

    assert response.status_code == 200
    body = response.json()
    assert (body["email"], body["email_verified"]) == (NEW, True)
    assert client.get("/v1/auth/me", pair["access_token"]).status_code == 401
    refresh = client.post("/v1/auth/refresh", {"refresh_token": pair["refresh_token"]})
    assert refresh.status_code == 401
    client.log_in(NEW)
    old = client.post("/v1/auth/login", {"email": "ada@example.com", "password": PASSWORD})
    assert old.status_code == 401
    [changed] = client.events("auth.email.changed.v1")
    assert (changed["email"], changed["previous_email"]) == (NEW, "ada@example.com")


def test_a_used_link_is_refused(client: Client) -> None:
    client.sign_up()
    change(client, client.log_in()["access_token"])
    token = link(client)
    assert confirm(client, token).status_code == 200

    again = confirm(client, token)

    assert again.status_code == 401
    assert again.headers["Content-Type"] == "application/problem+json"


def test_an_expired_link_is_refused(client: Client) -> None:
    client.sign_up()
    change(client, client.log_in()["access_token"])
    table = sa.Table("one_time_secrets", sa.MetaData(), autoload_with=client.auth.engine)
    with client.auth.engine.begin() as conn:
        past = datetime.now(UTC) - timedelta(minutes=1)
        conn.execute(
            sa.update(table).where(table.c.purpose == "email_change").values(expires_at=past)
        )

    response = confirm(client, link(client))

    assert response.status_code == 401
    assert client.log_in()  # still the old address


def test_only_the_newest_link_works(client: Client) -> None:
    client.sign_up()
    token = client.log_in()["access_token"]
    change(client, token)
    first = link(client)
    change(client, token, "ada.other@example.com")

    assert confirm(client, first).status_code == 401
    assert confirm(client, link(client)).json()["email"] == "ada.other@example.com"


def test_a_malformed_link_is_400(client: Client) -> None:
    assert confirm(client, "not-a-token").status_code == 400


def test_a_taken_address_gets_the_same_answer_and_no_link(client: Client) -> None:
    client.sign_up()
    client.sign_up("bob@example.com")
    token = client.log_in()["access_token"]

    free = change(client, token, "free@example.com")
    taken = change(client, token, "bob@example.com")

    assert free.status_code == taken.status_code == 202
    assert free.json() == taken.json()
    assert free.headers.get("Content-Type") == taken.headers.get("Content-Type")
    free_event, taken_event = client.events("auth.email.change_requested.v1")
    assert free_event["confirmation_token"]
    assert taken_event["confirmation_token"] is None  # no link goes to bob's inbox
    assert taken_event["email"] == "ada@example.com"  # the owner is still told


def test_an_address_taken_after_the_request_is_refused_at_confirmation(client: Client) -> None:
    client.sign_up()
    change(client, client.log_in()["access_token"])
    token = link(client)
    client.sign_up(NEW)  # someone registers the address before the link is followed

    response = confirm(client, token)

    assert response.status_code == 409
    assert client.log_in()  # ada still signs in with her old address


def test_a_wrong_password_is_401_and_sends_nothing(client: Client) -> None:
    client.sign_up()
    token = client.log_in()["access_token"]

    response = change(client, token, password="not my password!")

    assert response.status_code == 401
    assert client.events("auth.email.change_requested.v1") == []


def test_an_invalid_or_identical_address_is_422(client: Client) -> None:
    client.sign_up()
    token = client.log_in()["access_token"]

    assert change(client, token, "not an address").status_code == 422
    assert change(client, token, "ADA@example.com").status_code == 422
    assert client.events("auth.email.change_requested.v1") == []


def test_asking_needs_a_token_and_confirming_does_not(client: Client) -> None:
    assert (
        client.post("/v1/auth/email/change", {"new_email": NEW, "password": PASSWORD}).status_code
        == 401
    )
