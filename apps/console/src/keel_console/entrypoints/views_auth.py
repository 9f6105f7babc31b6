"""Sign in with a Keel account (auth's login API, then its two-factor challenge when the
account has two-factor on), sign out (auth's logout API)."""

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
        return render_template("login.html", error=exc, email=email), _status(exc)
    if pair.get("mfa_required"):
        return render_template("login_mfa.html", email=email, mfa_token=pair["mfa_token"]), 200
    return _signed_in(email, pair)


@bp.post("/login/mfa")
def login_mfa() -> Response | tuple[str, int]:
    """The code from the authenticator app (or a recovery code) for the ``mfa_token`` the
    password earned; a wrong code shows the form again while the token lasts."""
    _, _, api = services()
    email = request.form.get("email", "").strip()
    mfa_token = request.form.get("mfa_token", "")
    code = request.form.get("code", "").strip()
    recovery = request.form.get("recovery_code", "").strip()
    answer = {"code": code} if code else {"recovery_code": recovery}
    try:
        pair = api.mfa_challenge(mfa_token, answer, request.remote_addr)
    except ApiError as exc:
        page = render_template("login_mfa.html", error=exc, email=email, mfa_token=mfa_token)
        return page, _status(exc)
    return _signed_in(email, pair)


def _signed_in(email: str, pair: dict[str, str]) -> Response:
    g.session = ConsoleSession.start(email, pair["access_token"], pair["refresh_token"])
    return redirect(url_for("pages.dashboard"))


def _status(exc: ApiError) -> int:
    return exc.status if exc.status in (401, 422, 429) else 502


@bp.post("/logout")
def logout() -> Response:
    _, _, api = services()
    if g.session is not None:
        api.logout(g.session)
    g.session = None
    return redirect(url_for("auth.login_form"))
