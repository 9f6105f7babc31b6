"""The Messages pages: notification's delivery log (``/v1/admin/notifications``), found by
user, event, recipient or id; one message's attempts, provider, status and error; resending
a failed transactional one (notification decides which may be resent and says why not)."""

from __future__ import annotations

import uuid

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from keel_console.adapters.api import ApiError
from keel_console.entrypoints.views_pages import _params, call, signed_in

bp = Blueprint("messages", __name__, url_prefix="/admin")
API = "/v1/admin/notifications"


def failed_deliveries() -> int | str:
    """The dashboard's tile: messages of the last hour that failed, or why it is missing."""
    try:
        count = call("GET", f"{API}/stats").get("failed_last_hour")
    except ApiError as exc:
        return f"unavailable ({exc.status})"
    return count if isinstance(count, int) else "unknown"


@bp.get("/messages")
@signed_in
def messages() -> str:
    query = _params("id", "user_id", "event_id", "recipient", "cursor")
    page = call("GET", API, params=query) if query else None
    return render_template("messages.html", page=page, query=query)


@bp.get("/messages/<uuid:message_id>")
@signed_in
def message(message_id: uuid.UUID) -> str:
    return render_template("message_log.html", m=call("GET", f"{API}/{message_id}"))


@bp.post("/messages/<uuid:message_id>/resend")
@signed_in
def resend(message_id: uuid.UUID) -> Response:
    body = {"reason": request.form.get("reason", "")}
    resent = call("POST", f"{API}/{message_id}/resend", json=body)["items"]
    first = resent[0]["id"] if resent else message_id
    return redirect(url_for(".message", message_id=first, resent_from=message_id))
