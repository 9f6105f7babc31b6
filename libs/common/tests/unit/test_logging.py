from __future__ import annotations

import datetime
import decimal
import enum
import io
import json
import logging
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from pythonjsonlogger.json import JsonFormatter

from keel_common import tracing
from keel_common.logging import (
    REDACTED,
    ContextFilter,
    configure_logging,
    is_secret_key,
    json_formatter,
    redact,
    redact_text,
)

JWT = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0"
    ".eyJzdWIiOiI0MiIsImV4cCI6MTcwMDAwMDAwMH0"
    ".c2lnbmF0dXJlLWJ5dGVzLWhlcmU"
)
PASSWORD = "hunter2-Correct-Horse"
REFRESH = "rt_9f8e7d6c5b4a39281706"
OTP = "493817"
API_KEY = "ak_live_51Hs9sQ2eZvKYlo2C"
SECRETS = (JWT, PASSWORD, REFRESH, OTP, API_KEY, "sid=abc123", "guestpw")


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = configure_logging("auth", "DEBUG", stream=stream)
    yield stream
    logging.getLogger().removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def assert_no_secret(text: str) -> None:
    leaked = [secret for secret in SECRETS if secret in text]
    assert not leaked, f"leaked {leaked} in {text}"


def test_one_json_line_per_event_with_service_level_and_ids(output: io.StringIO) -> None:
    context, _ = tracing.from_headers({})
    with tracing.use(context, "req-42"):
        logging.getLogger("keel.test").warning("order %s placed", "o-1", extra={"items": 3})
    (line,) = lines(output)
    assert line["message"] == "order o-1 placed"
    assert line["level"] == "WARNING"
    assert line["service"] == "auth"
    assert line["logger"] == "keel.test"
    assert line["request_id"] == "req-42"
    assert line["trace_id"] == context.trace_id
    assert line["span_id"] == context.span_id
    assert line["items"] == 3
    assert str(line["time"]).endswith("+00:00")


def test_configure_logging_twice_keeps_one_handler(output: io.StringIO) -> None:
    configure_logging("auth", "INFO", stream=output)
    logging.getLogger("keel.test").info("once")
    assert len(lines(output)) == 1


def test_headers_and_body_passed_as_extras_are_redacted(output: io.StringIO) -> None:
    headers = {
        "Authorization": f"Bearer {JWT}",
        "Cookie": "sid=abc123; theme=dark",
        "X-Api-Key": API_KEY,
        "Accept": "application/json",
    }
    body = {"email": "ada@example.com", "password": PASSWORD, "otp": OTP, "code": OTP}
    logging.getLogger("keel.test").info(
        "login attempt", extra={"headers": headers, "body": body, "refresh_token": REFRESH}
    )
    text = output.getvalue()
    assert_no_secret(text)
    (line,) = lines(output)
    assert line["headers"]["Accept"] == "application/json"  # type: ignore[index]
    assert line["body"]["email"] == "ada@example.com"  # type: ignore[index]
    assert line["body"]["password"] == REDACTED  # type: ignore[index]
    assert line["refresh_token"] == REDACTED


def test_secrets_in_message_arguments_are_redacted(output: io.StringIO) -> None:
    log = logging.getLogger("keel.test")
    log.info("request headers %s", {"authorization": f"Bearer {JWT}"})
    log.info("body %r", {"password": PASSWORD, "new_password": PASSWORD})
    log.info("login with password=%s and refresh_token=%s", PASSWORD, REFRESH)
    log.info("your verification code is %s", OTP)
    log.info("connecting to %s", "amqp://guest:guestpw@rabbit:5672//")
    log.info("Cookie: sid=abc123; theme=dark")
    assert_no_secret(output.getvalue())
    assert len(lines(output)) == 6


def test_exception_text_is_redacted(output: io.StringIO) -> None:
    try:
        raise ValueError(f"token {JWT} rejected for password={PASSWORD}")
    except ValueError:
        logging.getLogger("keel.test").exception("verify failed")
    (line,) = lines(output)
    assert "ValueError: token [REDACTED] rejected for password=[REDACTED]" in str(line["exc_info"])
    assert_no_secret(output.getvalue())


def test_dict_message_is_redacted(output: io.StringIO) -> None:
    logging.getLogger("keel.test").info({"event": "login", "password": PASSWORD})
    assert_no_secret(output.getvalue())


def test_ordinary_text_is_left_alone() -> None:
    text = "GET /v1/orders/7 answered 200 in 12.5 ms; status code 500 retried"
    assert redact_text(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Authorization: Bearer {JWT}", f"Authorization: {REDACTED} {REDACTED}"),
        (
            "postgresql+psycopg://keel:s3cret@db/keel",
            f"postgresql+psycopg://keel:{REDACTED}@db/keel",
        ),
        ("GET /x?access_token=abc&page=2", f"GET /x?access_token={REDACTED}&page=2"),
        ('{"client_secret": "xyz", "n": 1}', f'{{"client_secret": "{REDACTED}", "n": 1}}'),
        ("otp=123456", f"otp={REDACTED}"),
        ("db said: password=pw1 for user: ada", f"db said: password={REDACTED} for user: ada"),
        ("Your code is 123456", f"Your code is {REDACTED}"),
        # Upper case, and every rule on its own: the quick "may it hold a secret?" pre-check
        # must let each of them through.
        ("BASIC dXNlcjpwYXNzd29yZA==", f"BASIC {REDACTED}"),
        (f"x {JWT} y", f"x {REDACTED} y"),
        ("REDIS://:pw@cache:6379", f"REDIS://:{REDACTED}@cache:6379"),
        ("Cookie: a=b; c=d", f"Cookie: {REDACTED}"),
        ("h=$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", f"h={REDACTED}"),
        ('{"code": "a1b2c3"}', f'{{"code": "{REDACTED}"}}'),
        ("PIN: 1234", f"PIN: {REDACTED}"),
        ("X-API-KEY=abc", f"X-API-KEY={REDACTED}"),
        # The long s (U+017F) is "s" to a case-insensitive pattern: non-ASCII text
        # always takes the full rules.
        ("\u017fecret=abc", f"\u017fecret={REDACTED}"),
    ],
)
def test_redact_text_patterns(text: str, expected: str) -> None:
    assert redact_text(text) == expected
    assert redact_text(expected) == expected  # redacting twice changes nothing


@dataclass
class Credentials:
    username: str
    password: str


def test_redact_walks_nested_structures_without_modifying_them() -> None:
    original = {"user": {"name": "ada", "api_key": API_KEY}, "items": [f"Bearer {JWT}"]}
    cleaned = redact(original)
    assert cleaned == {
        "user": {"name": "ada", "api_key": REDACTED},
        "items": [f"Bearer {REDACTED}"],
    }
    assert original["user"]["api_key"] == API_KEY  # type: ignore[index]
    assert redact(Credentials("ada", PASSWORD)) == {"username": "ada", "password": REDACTED}


@pytest.mark.parametrize(
    "key", ["password", "X-Auth-Token", "refresh_token", "Set-Cookie", "otp_code", "code", "pin"]
)
def test_secret_key_names(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["email", "status", "order_id", "Accept", "country"])
def test_ordinary_key_names(key: str) -> None:
    assert not is_secret_key(key)


class _Colour(enum.Enum):
    RED = "red"


@pytest.mark.parametrize(
    ("message", "args", "extra", "with_exception", "with_stack"),
    [
        ("GET /v1/products 200", None, {"method": "GET", "status": 200, "duration_ms": 1.5}, 0, 0),
        ("order %s by %r", ("o-1", {"password": "x"}), None, False, False),
        ("failed", None, {"error": ValueError("bad")}, True, False),
        ("where", None, None, False, True),
        ({"event": "dict message", "n": 1}, None, None, True, False),
        (
            "odd values",
            None,
            {
                "when": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
                "colour": _Colour.RED,
                "id": uuid.UUID(int=7),
                "price": decimal.Decimal("1.50"),
                "raw": b"\x00\xff",
                "kind": int,
                "nested": {"a": [1, (2, 3)]},
                "text": "ünï\u2028",
                "time": "overwritten",
                "_private": 1,
            },
            False,
            False,
        ),
    ],
)
def test_the_line_is_the_one_python_json_logger_writes(
    message: object, args: object, extra: dict[str, object] | None, with_exception: bool,
    with_stack: bool,
) -> None:  # fmt: skip
    """Keel formats lines itself (faster, for the access line of every request); any record
    must come out exactly as the library's own formatter, configured the same, writes it."""
    library = JsonFormatter(
        "%(levelname)s %(service)s %(name)s %(message)s %(request_id)s %(trace_id)s %(span_id)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
    )
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        exc_info = sys.exc_info() if with_exception else None
    record = logging.getLogger("keel.test").makeRecord(
        "keel.test", logging.WARNING, __file__, 1, message, args, exc_info, extra=extra,  # type: ignore[arg-type]
        sinfo="Stack (most recent call last):\n  here" if with_stack else None,
    )  # fmt: skip
    with tracing.use(tracing.new_trace(), "req-1"):
        ContextFilter("svc").filter(record)
    twin = logging.makeLogRecord(dict(record.__dict__))
    assert json_formatter().format(record) == library.format(twin)


def test_the_lines_time_is_datetimes_isoformat() -> None:
    """The time is made once per second and the microseconds added (``_UtcSeconds``): the
    same text as ``datetime.fromtimestamp(t, UTC).isoformat()``, ties and carries included."""
    import random

    from keel_common.json_line import _UtcSeconds

    clock, draw = _UtcSeconds(), random.Random(12)
    times = [0.0, -0.5, -1.0000004, 1.9999995, 1.9999996, 2.0000005, 1_764_936_000.123456,
             1_764_936_000.0000005, 1_764_936_000.9999996, 1_764_936_001.0]  # fmt: skip
    times += [draw.randint(0, 2**32) + draw.randint(0, 10**6) / 1e6 for _ in range(20_000)]
    times += [draw.uniform(-2e9, 4e9) for _ in range(20_000)]
    for created in times:
        expected = datetime.datetime.fromtimestamp(created, datetime.UTC).isoformat()
        assert clock.isoformat(created) == expected, created
