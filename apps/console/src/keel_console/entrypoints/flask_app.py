"""The console's Flask app: ``create_app()`` is what ``keel-console web`` serves.

Server-rendered pages with no script at all, so the Content-Security-Policy can forbid every
script; each page is built from calls to the services' public admin APIs.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import requests
from flask import Flask, Response, g, redirect, render_template, request, url_for
from werkzeug.exceptions import Forbidden
from werkzeug.wrappers import Response as WerkzeugResponse

from keel_console.adapters.api import Api, ApiError, SignedOut
from keel_console.adapters.session import COOKIE, PATH, ConsoleSession, SessionSeal
from keel_console.config import ConsoleSettings, load_console_settings

CSP = (
    "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    # Not no-referrer: with it Chromium sends "Origin: null" on the console's own forms.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def create_app(settings: ConsoleSettings | None = None) -> Flask:
    from keel_console.entrypoints import (
        views_audit,
        views_auth,
        views_dead_letters,
        views_listing,
        views_messages,
        views_pages,
        views_users,
    )

    settings = settings or load_console_settings()
    root = Path(__file__).resolve().parents[1]
    app = Flask(
        __name__,
        static_url_path="/admin/static",
        static_folder=root / "static",
        template_folder=root / "templates",
    )
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    idle = 60 * settings.console_idle_minutes
    seal = SessionSeal(settings.console_secret_key.get_secret_value(), idle_seconds=idle)
    api_url = settings.console_api_url.rstrip("/")
    api = Api(api_url, settings.console_api_timeout, requests.Session())
    app.extensions["keel_console"] = (settings, seal, api)
    app.jinja_env.filters["dict_without"] = lambda d, key: {k: v for k, v in d.items() if k != key}

    @app.before_request
    def _load_session() -> None:
        g.session = seal.open(request.cookies.get(COOKIE))
        if request.method != "POST":
            return
        # Host names only: the gateway passes nginx's $host, which drops the port.
        origin = request.headers.get("Origin")
        if origin and urlsplit(origin).hostname != urlsplit(request.host_url).hostname:
            raise Forbidden("The form was sent from another site.")
        # The sign-in forms have no session yet (the second one carries its mfa_token).
        if request.endpoint not in ("auth.login", "auth.login_mfa"):
            # SameSite=Strict already keeps other sites' forms out; the token is the second
            # lock (and covers browsers without SameSite).
            sent = request.form.get("csrf_token", "")
            if g.session is None or not sent or sent != g.session.csrf:
                raise Forbidden("The form is stale or was not sent by this console.")

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.update(SECURITY_HEADERS)
        _store_session(response, seal, settings)
        return response

    @app.errorhandler(SignedOut)
    def _signed_out(_: SignedOut) -> WerkzeugResponse:
        g.session = None
        return redirect(url_for("auth.login", expired=1))

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> tuple[str, int]:
        status = exc.status if exc.status in (403, 404, 409, 422, 429) else 502
        return render_template("message.html", error=exc, status=status), status

    @app.errorhandler(requests.RequestException)
    def _unreachable(_: requests.RequestException) -> tuple[str, int]:
        detail = "The platform's API did not answer; try again in a moment."
        return render_template("message.html", detail=detail, status=502), 502

    @app.errorhandler(Forbidden)
    def _forbidden(exc: Forbidden) -> tuple[str, int]:
        return render_template("message.html", detail=exc.description, status=403), 403

    @app.get("/admin/healthz")
    @app.get("/healthz")
    @app.get("/readyz")
    def healthz() -> str:
        # The chart's probes ask /healthz and /readyz on every web process; the console holds
        # no connection whose loss should take it out of the Service.
        return "ok"

    app.register_blueprint(views_auth.bp)
    app.register_blueprint(views_pages.bp)
    app.register_blueprint(views_users.bp)
    app.register_blueprint(views_dead_letters.bp)
    app.register_blueprint(views_audit.bp)
    app.register_blueprint(views_listing.bp)
    app.register_blueprint(views_messages.bp)
    return app


def _store_session(response: Response, seal: SessionSeal, settings: ConsoleSettings) -> None:
    session: ConsoleSession | None = g.get("session")
    if session is None:
        if request.cookies.get(COOKIE):
            response.delete_cookie(COOKIE, path=PATH)
        return
    # Re-sealed on every request: the idle clock restarts, refreshed tokens are kept.
    response.set_cookie(
        COOKIE,
        seal.seal(session),
        max_age=seal.idle_seconds,
        path=PATH,
        secure=settings.console_cookie_secure,
        httponly=True,
        samesite="Strict",
    )


def services() -> tuple[ConsoleSettings, SessionSeal, Api]:
    from flask import current_app

    found: tuple[ConsoleSettings, SessionSeal, Api] = current_app.extensions["keel_console"]
    return found
