"""Sign in with a Keel account (auth's login API), sign out (auth's logout API)."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from keel_console.adapters.api import ApiError
from keel_console.adapters.session import ConsoleSession
from keel_console.entrypoints.flask_app import services

bp = Blueprint("auth", __name__, url_prefix="/admin")


@bp.get("/login")
def login_form() -> str:
    return render_template("login.html", expired=bool(request.args.get("expired")))


@bp.post("/login")
def login() -> Response | tuple[str, int]:
    _, _, api = services()
    email = request.form.get("email", "").strip()
    try:
        pair = api.login(email, request.form.get("password", ""), request.remote_addr)
    except ApiError as exc:
        status = exc.status if exc.status in (401, 422, 429) else 502
        return render_template("login.html", error=exc, email=email), status
    g.session = ConsoleSession.start(email, pair["access_token"], pair["refresh_token"])
    return redirect(url_for("pages.dashboard"))


@bp.post("/logout")
def logout() -> Response:
    _, _, api = services()
    if g.session is not None:
        api.logout(g.session)
    g.session = None
    return redirect(url_for("auth.login_form"))
