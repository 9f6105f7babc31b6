"""Double submits, NUL bytes and constraint violations answer 4xx and leave no secret in a
log: engines hide statement parameters, unique violations are mapped where they are raised,
control characters are refused, and argon2 hashes and JSON codes are redacted."""

from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from keel_auth.adapters import orm
from keel_auth.domain.errors import EmailTaken
from keel_auth.domain.model import User
from keel_common.logging import configure_logging, redact_text

from .conftest import PASSWORD, Client

PROBLEM = "application/problem+json"


def logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(
        [record.getMessage() for record in caplog.records]
        + [str(record.__dict__) for record in caplog.records]
    )


def test_a_double_clicked_sign_up_is_not_a_500(client: Client) -> None:
    body = {"email": "ada@example.com", "password": PASSWORD}
    start = threading.Barrier(6)

    def submit(_: int) -> int:
        start.wait()
        return client.post("/v1/auth/signup", body).status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(submit, range(6)))

    assert statuses == [202] * 6
    assert len(client.events("auth.user.registered.v1")) == 1


def test_a_unique_violation_is_mapped_where_it_is_raised(client: Client) -> None:
    client.sign_up()
    auth = client.auth
    with auth.uow() as uow, pytest.raises(EmailTaken):
        uow.users.add(User("ada@example.com", auth.hasher.hash(PASSWORD), auth.clock()))


def test_engine_errors_carry_no_parameters(client: Client) -> None:
    client.sign_up()
    secret_hash = client.auth.hasher.hash("another fine passphrase")
    row = {"id": uuid.uuid4(), "email": "ada@example.com"}
    with pytest.raises(sa.exc.IntegrityError) as caught, client.auth.engine.begin() as conn:
        conn.execute(
            orm.users.insert().values(
                **row, password_hash=secret_hash, roles=["user"], email_verified=False,
                phone_verified=False,
            )
        )  # fmt: skip
    assert secret_hash not in str(caught.value)
    assert "parameters hidden" in str(caught.value)


@pytest.mark.parametrize("field", ["name", "email", "password", "phone"])
def test_control_characters_are_refused_with_422(
    client: Client, caplog: pytest.LogCaptureFixture, field: str
) -> None:
    configure_logging("auth", "DEBUG")
    caplog.set_level(logging.DEBUG)
    body = {"email": "ada@example.com", "password": PASSWORD, "name": "Ada"}
    body[field] = body.get(field, "+1415555012") + "\x00"

    response = client.post("/v1/auth/signup", body)

    assert response.status_code == 422
    assert response.headers["Content-Type"] == PROBLEM
    assert response.json()["errors"][0]["loc"] == ["body", field]
    assert PASSWORD not in logged(caplog)


def test_hashes_and_json_codes_are_redacted() -> None:
    line = "[parameters: ('ada@example.com', '$argon2id$v=19$m=7168,t=1,p=1$c2FsdA$aGFzaA')]"
    assert "$argon2" not in redact_text(line)
    assert "a1b2c3" not in redact_text('{"phone": "+14155550123", "code": "a1b2c3"}')
    assert '"status_code": 200' in redact_text('{"status_code": 200}')
