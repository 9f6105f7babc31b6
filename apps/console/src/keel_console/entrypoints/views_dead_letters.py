"""The Dead letters page: per service and queue, the count, each message's envelope and first
error; replay one or all back to the queue, or discard, each with a reason (audited by the
service that owns the queue)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from keel_console.adapters.api import ApiError
from keel_console.entrypoints.views_pages import (
    DEAD_LETTER_APIS,
    call,
    dead_letter_counts,
    signed_in,
)

bp = Blueprint("dead_letters", __name__, url_prefix="/admin/dead-letters")
ACTIONS = ("replay", "discard")


def _service_path(service: str) -> str:
    if service not in DEAD_LETTER_APIS:
        raise ApiError(404, {"detail": "No such service."})
    return DEAD_LETTER_APIS[service]


@bp.get("/")
@signed_in
def overview() -> str:
    return render_template("dead_letters.html", dead_letters=dead_letter_counts())


@bp.get("/<service>/<queue>")
@signed_in
def queue(service: str, queue: str) -> str:
    found = call("GET", f"{_service_path(service)}/{queue}", params={"limit": 100})
    return render_template("dead_letter_queue.html", service=service, found=found)


@bp.post("/<service>/<queue>/<any(replay, discard):action>")
@signed_in
def act(service: str, queue: str, action: str) -> Response:
    body: dict[str, str] = {"reason": request.form.get("reason", "")}
    if message_id := request.form.get("message_id", "").strip():
        body["message_id"] = message_id
    done = call("POST", f"{_service_path(service)}/{queue}/{action}", json=body)
    return redirect(
        url_for(".queue", service=service, queue=queue, done=action, count=done.get("count", 0))
    )
