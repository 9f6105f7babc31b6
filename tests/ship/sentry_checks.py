"""Provoke one unhandled error of each process kind on the running images, through real
failure paths (a table the code reads is dropped under it), and find their Sentry events."""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Any

import grpc
import requests
import sqlalchemy as sa

from keel_protos.auth.v1 import auth_pb2, auth_pb2_grpc
from tests.e2e.client import TIMEOUT, User, create_product, eventually, place_order
from tests.e2e.platform import Platform

from .bugsink import Bugsink


def drop_table(database_url: str, table: str) -> None:
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP TABLE "{table}" CASCADE'))
    finally:
        engine.dispose()


def ids() -> tuple[str, str, dict[str, str]]:
    """A request id, a trace id, and the headers/metadata that carry them."""
    request_id, trace_id = "req-" + secrets.token_hex(6), secrets.token_hex(16)
    traceparent = f"00-{trace_id}-{secrets.token_hex(8)}-01"
    return request_id, trace_id, {"x-request-id": request_id, "traceparent": traceparent}


def event_with(sink: Bugsink, service: str, trace_id: str) -> dict[str, Any] | None:
    """The event of ``service`` in the trace we started (a consumer's delivery has a request
    id of its own; the trace id is the one that crosses the broker)."""
    for event in sink.events():
        tags = tags_of(event)
        if tags.get("service") == service and tags.get("trace_id") == trace_id:
            return event
    return None


def wait_for_event(sink: Bugsink, service: str, trace_id: str, what: str) -> dict[str, Any]:
    try:
        return eventually(lambda: event_with(sink, service, trace_id), what, timeout=120)
    except AssertionError as exc:
        seen = [(tags_of(e), e["data"].get("logger")) for e in sink.events()]
        raise AssertionError(f"{exc}; looked for trace {trace_id}; Bugsink holds {seen}") from exc


def tags_of(event: dict[str, Any]) -> dict[str, str]:
    tags = event["data"].get("tags") or {}
    return dict(tags) if isinstance(tags, dict) else {k: v for k, v in tags}


def consumer_error(platform: Platform, sink: Bugsink, seller: User, buyer: User) -> tuple:
    """notification's consumer: its inbox table is gone when an order event arrives."""
    drop_table(platform.env["notification"]["DATABASE_URL"], "inbox")
    _request_id, trace_id, headers = ids()
    product = create_product(platform.base_url, seller, "Broken inbox lamp")
    place_order(platform.base_url, buyer, product["id"], 1, headers=headers)
    event = wait_for_event(sink, "notification", trace_id, "notification-worker's error")
    return event, None, trace_id


def web_error(platform: Platform, sink: Bugsink, secrets_sent: list[str]) -> tuple:
    """auth's login route: its users table is gone; the body holds a password, the headers a
    bearer token and a session cookie."""
    drop_table(platform.env["auth"]["DATABASE_URL"], "users")
    _request_id, trace_id, headers = ids()
    password, token, cookie = (secrets.token_urlsafe(12) for _ in range(3))
    secrets_sent += [password, token, cookie]
    body = {"email": "ada@example.com", "password": password}
    headers |= {"Authorization": f"Bearer {token}", "Cookie": f"session={cookie}"}
    sent = requests.post(
        f"{platform.base_url}/v1/auth/login", json=body, headers=headers, timeout=TIMEOUT
    )
    assert sent.status_code == 500, sent.text
    event = wait_for_event(sink, "auth", trace_id, "auth-web's error")
    # The id the client was told to quote is the one on the event.
    return event, sent.json()["request_id"], trace_id


def grpc_error(platform: Platform, sink: Bugsink, secrets_sent: list[str]) -> tuple:
    """auth's GetUsers over gRPC (the users table is already gone), with a bearer token in
    the metadata: the caller gets INTERNAL, Bugsink an event with the call's ids."""
    request_id, trace_id, metadata = ids()
    token = secrets.token_urlsafe(12)
    secrets_sent.append(token)
    metadata["authorization"] = f"Bearer {token}"
    # Over mTLS as core, which auth's allowlist lets call GetUsers.
    with platform.grpc_channel("auth", caller="core") as channel:
        stub = auth_pb2_grpc.AuthServiceStub(channel)
        try:
            stub.GetUsers(
                auth_pb2.GetUsersRequest(ids=[str(uuid.uuid4())]),
                timeout=TIMEOUT,
                metadata=list(metadata.items()),
            )
        except grpc.RpcError as exc:
            assert exc.code() == grpc.StatusCode.INTERNAL, exc
        else:
            raise AssertionError("GetUsers answered without its table")
    event = wait_for_event(sink, "auth", trace_id, "auth-grpc's error")
    return event, request_id, trace_id


SECRET_KEYS = ("authorization", "cookie", "cookies", "password", "token", "code")


def masked(value: Any) -> bool:
    if value in ("", None, {}, []):
        return True
    return isinstance(value, str) and ("REDACTED" in value or "Filtered" in value)


def leaked(event: dict[str, Any], secrets_sent: list[str]) -> list[str]:
    """Secrets found anywhere in the stored event: a value we sent, or a header/field whose
    name says secret and whose value is not masked."""
    text = json.dumps(event)
    found = [f"value {s[:4]}..." for s in secrets_sent if s in text]

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if str(key).lower() in SECRET_KEYS and not masked(value):
                    found.append(f"{path}/{key}")
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, item in enumerate(node):
                if (
                    isinstance(item, list)
                    and len(item) == 2
                    and str(item[0]).lower() in SECRET_KEYS
                ):
                    walk({item[0]: item[1]}, f"{path}/{i}")
                else:
                    walk(item, f"{path}/{i}")

    walk(event["data"], "")
    return found
