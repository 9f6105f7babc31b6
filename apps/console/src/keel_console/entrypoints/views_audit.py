"""The Audit log page: each service's admin audit trail, newest first, by actor and/or target,
one keyset page at a time (``GET /v1/admin/<svc>/audit``)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from keel_console.adapters.api import ApiError
from keel_console.entrypoints.views_pages import _params, call, signed_in

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
#: The trails the console reads; auth's security trail joins here with the Users page.
TRAILS = {
    "core": "/v1/admin/audit",
    "notification": "/v1/admin/notification/audit",
    "search": "/v1/admin/search/audit",
}


@bp.get("/")
@signed_in
def trail() -> str:
    service = request.args.get("service", "core")
    if service not in TRAILS:
        raise ApiError(404, {"detail": "No such audit trail."})
    query = _params("actor_id", "target_id", "cursor")
    page = call("GET", TRAILS[service], params={**query, "limit": 50})
    return render_template(
        "audit.html",
        page=page,
        service=service,
        trails=list(TRAILS),
        query={**query, "service": service},
    )
