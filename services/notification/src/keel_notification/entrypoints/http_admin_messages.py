"""``/v1/admin/notifications/...``: one message's delivery log for the console's Messages
page, the dashboard's failed count, and resending a failed transactional message. Never a
message's rendered content (it may hold a code or a link with a token)."""

from __future__ import annotations

from uuid import UUID

from flask import Response, jsonify
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from keel_common.auth import require_principal
from keel_common.http import BEARER_AUTH
from keel_notification.entrypoints.http_routes import caller, notification_json, wired
from keel_notification.entrypoints.schemas import NotificationOut
from keel_notification.service_layer import history, resending

api = APIBlueprint("notification_admin_messages", __name__, abp_tags=[Tag(name="notifications")])


@api.before_request
def _authenticate() -> None:
    require_principal()  # a 401 before anything else


class MessagePath(BaseModel):
    id: UUID


class ResendIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="why, for the audit trail")


class ResentOut(BaseModel):
    items: list[NotificationOut]


class StatsOut(BaseModel):
    failed_last_hour: int


@api.get("/v1/admin/notifications/stats", responses={200: StatsOut}, security=BEARER_AUTH)
def stats() -> Response:
    """Messages created in the last hour that failed (support)."""
    principal = caller()
    count = history.failed_last_hour(
        wired().uow(),
        wired().clock(),
        roles=principal.roles,
        amr=principal.amr,
        mfa_roles=wired().settings.require_mfa_for_roles,
    )
    return jsonify(failed_last_hour=count)


@api.get(
    "/v1/admin/notifications/<uuid:id>", responses={200: NotificationOut}, security=BEARER_AUTH
)
def message_log(path: MessagePath) -> Response:
    """Attempts, provider, status and last error of one message (support)."""
    principal = caller()
    found = history.message_log(
        wired().uow(),
        path.id,
        roles=principal.roles,
        amr=principal.amr,
        mfa_roles=wired().settings.require_mfa_for_roles,
    )
    return jsonify(notification_json(found))


@api.post(
    "/v1/admin/notifications/<uuid:id>/resend",
    responses={202: ResentOut, 409: None},
    security=BEARER_AUTH,
)
def resend(path: MessagePath, body: ResendIn) -> tuple[Response, int]:
    """Queue a failed transactional message again for the user's current address; 409 for
    a promotional one, one not failed, one whose content held a code or link, or one
    already resent (staff). Audited."""
    principal, service = caller(), wired()
    if service.audit is None:
        raise RuntimeError("notification was built without an audit trail")
    copies = resending.resend_failed(
        service.uow(),
        service.audit,
        path.id,
        actor_id=principal.user_id,
        roles=principal.roles,
        amr=principal.amr,
        mfa_roles=service.settings.require_mfa_for_roles,
        reason=body.reason,
        now=service.clock(),
    )
    return jsonify(items=[notification_json(c) for c in copies]), 202
