"""``GET /v1/admin/audit``: core's admin audit trail for the console's Audit log page."""

from __future__ import annotations

from uuid import UUID

from flask import Response, jsonify
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from keel_common.auth import require_principal
from keel_core.entrypoints.admin_schemas import AuditOut, Paging
from keel_core.entrypoints.http_context import BEARER, caller, uow
from keel_core.service_layer import admin_audit

api = APIBlueprint(
    "admin_audit",
    __name__,
    url_prefix="/v1/admin",
    abp_tags=[Tag(name="admin", description="Back-office: staff and admins only")],
    abp_security=BEARER,
)


class AuditQuery(Paging):
    actor_id: UUID | None = Field(default=None, description="Who acted")
    target_id: str | None = Field(default=None, max_length=64, description="What it was about")


class AuditPage(BaseModel):
    items: list[AuditOut]
    next_cursor: str | None


@api.before_request
def _authenticate() -> None:
    require_principal()


@api.get("/audit", responses={200: AuditPage})
def audit_trail(query: AuditQuery) -> Response:
    """Every admin action on core's records, newest first, by actor and/or target (staff)."""
    page = admin_audit.audit_trail(
        uow(),
        caller(),
        actor_id=query.actor_id,
        target_id=query.target_id,
        limit=query.limit,
        cursor=query.cursor,
    )
    items = [AuditOut.model_validate(e).model_dump(mode="json") for e in page.items]
    return jsonify(items=items, next_cursor=page.next_cursor)
