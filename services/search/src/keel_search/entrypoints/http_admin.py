"""``/v1/admin/search/...``: the index's state and rebuilds, for the back-office.

Every route needs a token (401 first); the service layer decides who is staff (403).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from flask import Response, current_app, jsonify, url_for
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ConfigDict, Field

from keel_common.auth import require_principal
from keel_common.http import BEARER_AUTH, problem_response
from keel_common.messaging import BrokerError
from keel_search.bootstrap import PRODUCT_EVENTS, Search
from keel_search.domain.errors import RebuildInProgress
from keel_search.domain.rebuilds import RebuildSummary
from keel_search.entrypoints.background import run_in_background
from keel_search.service_layer import admin, rebuilding

EXTENSION = "keel_search"

api = APIBlueprint(
    "search_admin",
    __name__,
    url_prefix="/v1/admin/search",
    abp_tags=[Tag(name="admin", description="Back-office: staff and admins only")],
    abp_security=BEARER_AUTH,
)


class RebuildOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    requested_by: str
    status: Literal["running", "succeeded", "failed"]
    started_at: datetime
    finished_at: datetime | None
    documents: int
    error: str | None


class IndexOut(BaseModel):
    documents: int
    last_rebuild: RebuildOut | None
    pending_changes: int | None = Field(
        description="the index's lag: core's product changes not applied yet (null: the "
        "broker did not answer)"
    )


class RebuildPath(BaseModel):
    job_id: UUID


def _service() -> Search:
    service: Search = current_app.extensions[EXTENSION]
    return service


def _rebuild_json(job: RebuildSummary) -> dict[str, Any]:
    return RebuildOut.model_validate(job).model_dump(mode="json")


@api.before_request
def _authenticate() -> None:
    require_principal()


@api.get("/index", responses={200: IndexOut})
def index_status() -> Response:
    """How many products the index holds, how many changes it lags behind, and how its last
    rebuild went (staff)."""
    service = _service()
    status = admin.index_status(
        require_principal(),
        service.settings.require_mfa_for_roles,
        service.index,
        service.uow(),
        lambda: _pending_changes(service),
    )
    last = _rebuild_json(status.last_rebuild) if status.last_rebuild else None
    return jsonify(
        documents=status.documents, last_rebuild=last, pending_changes=status.pending_changes
    )


def _pending_changes(service: Search) -> int | None:
    try:
        return service.broker.waiting_count(PRODUCT_EVENTS.spec)
    except BrokerError:
        return None


@api.post("/rebuilds", responses={202: RebuildOut})
def start_rebuild() -> Response:
    """Start a zero-downtime rebuild from core's catalogue; 409 names the one running (staff)."""
    service, principal = _service(), require_principal()
    try:
        job, builder = admin.start_rebuild(
            principal,
            service.settings.require_mfa_for_roles,
            service.index,
            service.uow(),
            service.clock,
        )
    except RebuildInProgress as exc:
        running = rebuilding.running_rebuild(service.uow())
        running_id = str(running.id) if running else None
        return problem_response(409, "Conflict", str(exc), running_job_id=running_id)
    run_in_background(service, job, builder)
    response = jsonify(_rebuild_json(job))
    response.status_code = 202
    response.headers["Location"] = url_for(".get_rebuild", job_id=job.id)
    return response


@api.get("/rebuilds/<uuid:job_id>", responses={200: RebuildOut})
def get_rebuild(path: RebuildPath) -> Response:
    """One rebuild's progress: running until the new index is swapped in (staff)."""
    service = _service()
    mfa_roles = service.settings.require_mfa_for_roles
    job = admin.get_rebuild(require_principal(), mfa_roles, path.job_id, service.uow())
    return jsonify(_rebuild_json(job))
