"""The dead-letter desk's HTTP routes (``keel_common.dead_letters``), the same for every
consuming service: ``dead_letter_api("search", lambda: <the service's desk>)`` registered once.

``GET  /v1/admin/<svc>/dead-letters/<queue>``: the queue's count and first messages;
``POST /v1/admin/<svc>/dead-letters/<queue>/replay`` and ``.../discard`` (one ``message_id``
or all), with a reason; ``GET /v1/admin/<svc>/audit``: the service's admin audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Response, jsonify
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from keel_common.audit import AuditRecord
from keel_common.auth import require_principal
from keel_common.dead_letters import DeadLetterDesk, DeadLetterNotFound, InvalidAction
from keel_common.http.app import BEARER_AUTH
from keel_common.http.problems import field_problem, problem_response
from keel_common.http.schemas import Schema
from keel_common.pagination import InvalidCursor


class QueuePath(BaseModel):
    queue: str = Field(max_length=200, description="the consumer queue, e.g. search.products")


class LettersQuery(Schema):
    limit: int = Field(default=50, ge=1, le=100)


class LetterOut(BaseModel):
    message_id: str
    type: str
    source: str
    time: str
    subject: str | None
    data: Any = Field(description="the event's data, secrets redacted as in the logs")
    error: str = Field(description="the first handler error; empty when none was recorded")
    dead_lettered_at: datetime | None


class LettersOut(BaseModel):
    queue: str
    dead_queue: str
    dead_letters: int
    items: list[LetterOut]


class ActionIn(Schema):
    message_id: str | None = Field(default=None, max_length=200, description="none: all of them")
    reason: str = Field(max_length=500, description="why; kept in the audit trail")


class ActionOut(BaseModel):
    queue: str
    count: int = Field(description="how many messages were replayed or discarded")


class AuditQuery(Schema):
    actor_id: str | None = Field(default=None, max_length=64)
    target_id: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=50, ge=1, le=100)
    cursor: str | None = None


class AuditOut(BaseModel):
    id: str
    action: str
    actor_id: str
    target_type: str
    target_id: str
    reason: str
    occurred_at: datetime
    details: dict[str, Any]


class AuditPageOut(BaseModel):
    items: list[AuditOut]
    next_cursor: str | None


def audit_json(record: AuditRecord) -> dict[str, Any]:
    fields = {**record.__dict__, "id": str(record.id)}
    return AuditOut.model_validate(fields).model_dump(mode="json")


def dead_letter_api(service: str, desk: Callable[[], DeadLetterDesk]) -> APIBlueprint:
    api = APIBlueprint(
        f"{service}_dead_letter_desk",
        __name__,
        url_prefix=f"/v1/admin/{service}",
        abp_tags=[Tag(name="admin")],
    )

    @api.before_request
    def _authenticate() -> None:
        require_principal()  # a 401 comes before any 422 about the body

    @api.get("/dead-letters/<queue>", responses={200: LettersOut}, security=BEARER_AUTH)
    def list_dead_letters(path: QueuePath, query: LettersQuery) -> Response:
        """A queue's dead letters: envelope, redacted data, first error, when (staff)."""
        spec, count, letters = desk().letters(require_principal(), path.queue, query.limit)
        items = [LetterOut.model_validate(d.__dict__).model_dump(mode="json") for d in letters]
        return jsonify(queue=spec.name, dead_queue=spec.dead_queue, dead_letters=count, items=items)

    @api.post("/dead-letters/<queue>/replay", responses={200: ActionOut}, security=BEARER_AUTH)
    def replay_dead_letters(path: QueuePath, body: ActionIn) -> Response:
        """Back to the queue, handled again from the first attempt (staff; audited)."""
        caller = require_principal()
        count = desk().replay(caller, path.queue, body.message_id, body.reason)
        return jsonify(queue=path.queue, count=count)

    @api.post("/dead-letters/<queue>/discard", responses={200: ActionOut}, security=BEARER_AUTH)
    def discard_dead_letters(path: QueuePath, body: ActionIn) -> Response:
        """Deleted for good (staff; audited)."""
        caller = require_principal()
        count = desk().discard(caller, path.queue, body.message_id, body.reason)
        return jsonify(queue=path.queue, count=count)

    @api.get("/audit", responses={200: AuditPageOut}, security=BEARER_AUTH)
    def admin_audit_trail(query: AuditQuery) -> Response:
        """The service's admin audit trail, newest first, by actor and/or target (staff)."""
        page = desk().trail(
            require_principal(),
            actor_id=query.actor_id,
            target_id=query.target_id,
            limit=query.limit,
            cursor=query.cursor,
        )
        return jsonify(items=[audit_json(r) for r in page.items], next_cursor=page.next_cursor)

    api.register_error_handler(DeadLetterNotFound, _not_found)
    api.register_error_handler(InvalidAction, _invalid)
    api.register_error_handler(InvalidCursor, _bad_cursor)
    return api


def _not_found(exc: DeadLetterNotFound) -> Response:
    return problem_response(404, "Not Found", str(exc))


def _invalid(exc: InvalidAction) -> Response:
    return field_problem([(exc.field, exc.message)], detail=str(exc))


def _bad_cursor(exc: InvalidCursor) -> Response:
    return field_problem([("cursor", str(exc))], location="query", detail=str(exc))
