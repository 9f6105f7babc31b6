"""The Users pages: find accounts, read one, and act on it (auth's ``/v1/admin/users``).

Every action goes through a confirmation page first (no script, so the "are you sure?" is a
second form), carrying the operator's reason to the audit trail.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from keel_console.adapters.api import ApiError
from keel_console.entrypoints.views_pages import call, signed_in

bp = Blueprint("users", __name__, url_prefix="/admin")
ROLES = ("user", "staff", "admin")
#: What each action is called on its button, its confirmation and its notice.
ACTIONS = {
    "revoke": ("Revoke all sessions", "Every device signs out at once; their tokens stop working."),
    "disable": ("Disable account", "No sign-in by any path, and every session ends at once."),
    "enable": ("Re-enable account", "The account may sign in again."),
    "roles": ("Save roles", "Taking a role away also ends the account's sessions."),
}


def signup_stats() -> dict[str, Any] | None:
    """The dashboard's sign-up figures, or None when auth refuses or fails (the dashboard
    still shows the other services' tiles)."""
    try:
        return call("GET", "/v1/admin/users/stats")
    except ApiError:
        return None


def search_params(q: str) -> dict[str, str]:
    """One box for everything: an id, a phone number (E.164), else an email or its start."""
    q = q.strip()
    if not q:
        return {}
    try:
        return {"id": str(uuid.UUID(q))}
    except ValueError:
        pass
    return {"phone": q} if q.startswith("+") else {"email_prefix": q}


@bp.get("/users")
@signed_in
def users() -> str:
    q = request.args.get("q", "").strip()
    params = search_params(q)
    cursor = request.args.get("cursor", "").strip()
    if cursor:
        params["cursor"] = cursor
    page = call("GET", "/v1/admin/users", params=params)
    return render_template("users.html", page=page, query={"q": q} if q else {})


@bp.get("/users/<uuid:user_id>")
@signed_in
def user(user_id: uuid.UUID) -> str:
    record = call("GET", f"/v1/admin/users/{user_id}")
    audit_cursor = request.args.get("audit_cursor", "").strip()
    params = {"cursor": audit_cursor} if audit_cursor else {}
    trail = call("GET", f"/v1/admin/users/{user_id}/audit", params=params)
    me = call("GET", "/v1/auth/me")
    return render_template(
        "user.html",
        record=record,
        trail=trail,
        is_admin="admin" in me.get("roles", []),
        roles=ROLES,
        actions=ACTIONS,
        done=ACTIONS.get(request.args.get("done", ""), (None,))[0],
    )


@bp.post("/users/<uuid:user_id>/<any(revoke, disable, enable, roles):action>")
@signed_in
def act(user_id: uuid.UUID, action: str) -> Response | str:
    reason = request.form.get("reason", "").strip()
    roles = [r for r in request.form.getlist("roles") if r in ROLES]
    if request.form.get("confirmed") != "yes":
        record = call("GET", f"/v1/admin/users/{user_id}")
        return render_template(
            "user_confirm.html", record=record, action=action, label=ACTIONS[action],
            reason=reason, roles=roles,
        )  # fmt: skip
    _perform(user_id, action, reason, roles)
    return redirect(url_for(".user", user_id=user_id, done=action))


def _perform(user_id: uuid.UUID, action: str, reason: str, roles: list[str]) -> None:
    base = f"/v1/admin/users/{user_id}"
    if action == "revoke":
        call("POST", f"{base}/sessions/revoke", json={"reason": reason})
    elif action in ("disable", "enable"):
        call("POST", f"{base}/{action}", json={"reason": reason})
    elif action == "roles":
        call("PUT", f"{base}/roles", json={"roles": roles, "reason": reason})
    else:  # the route's converter admits only the four above
        abort(404)
