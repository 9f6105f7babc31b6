"""The auth HTTP app: ``create_app()`` is what gunicorn loads (``keel-auth web``)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response
from flask_openapi3 import OpenAPI

from keel_auth.bootstrap import Auth, bootstrap
from keel_auth.domain import errors
from keel_auth.entrypoints import http_admin, routes
from keel_common.auth import install_token_verifier
from keel_common.http import create_app as create_keel_app
from keel_common.http import field_problem, problem_response, register_domain_errors

_UNAUTHORIZED = (
    errors.InvalidCredentials,
    errors.InvalidRefreshToken,
    errors.Unauthenticated,
    errors.InvalidCode,
    errors.InvalidOneTimeToken,
    errors.InvalidMfaToken,
)


def create_app(service: Auth | None = None) -> OpenAPI:
    """The WSGI app of the auth ``service`` (bootstrapped from the environment if None)."""
    auth = service or bootstrap()
    auth.keys.ensure_key()
    app = create_keel_app(
        "auth", auth.settings, readiness=auth.readiness, api_title="Keel auth API"
    )
    install_token_verifier(app, auth.verifier)
    install_error_mapping(app)
    routes.install(app, auth)
    app.register_api(http_admin.api)
    app.add_url_rule("/.well-known/jwks.json", "jwks", lambda: _jwks(auth))
    return app


def _jwks(auth: Auth) -> Response:
    response = Response(json.dumps(auth.keys.jwks()), mimetype="application/json")
    # Verifiers cache it anyway; rotation publishes keys ahead of use (see signing_keys).
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def install_error_mapping(app: OpenAPI) -> None:
    """Domain errors to problem+json; the statuses are the public contract."""
    register_domain_errors(
        app,
        {
            errors.EmailTaken: (409, "Conflict"),
            errors.PhoneTaken: (409, "Conflict"),
            errors.MalformedToken: (400, "Bad Request"),
            errors.Forbidden: (403, "Forbidden"),
            errors.LastAdmin: (409, "Conflict"),
            errors.UserNotFound: (404, "Not Found"),
            errors.SessionNotFound: (404, "Not Found"),
            errors.MfaConflict: (409, "Conflict"),
            errors.PasskeyRejected: (400, "Bad Request"),
            errors.PasskeyNotFound: (404, "Not Found"),
            errors.ExportGone: (404, "Not Found"),
        },
    )
    app.register_error_handler(errors.EmailNotVerified, _email_not_verified)
    app.register_error_handler(errors.AccountDisabled, _account_disabled)
    app.register_error_handler(errors.InvalidInput, _invalid_input)
    app.register_error_handler(errors.Throttled, _throttled)
    for error in _UNAUTHORIZED:
        app.register_error_handler(error, _unauthorized)


EMAIL_NOT_VERIFIED = "/problems/email-not-verified"  # RFC 9457 allows a relative URI


def _email_not_verified(exc: errors.EmailNotVerified) -> Response:
    return problem_response(403, "Email not verified", str(exc), EMAIL_NOT_VERIFIED)


ACCOUNT_DISABLED = "/problems/account-disabled"


def _account_disabled(exc: errors.AccountDisabled) -> Response:
    return problem_response(403, "Account disabled", str(exc), ACCOUNT_DISABLED)


def _invalid_input(exc: errors.InvalidInput) -> Response:
    return field_problem([(exc.field, exc.message)], location=exc.location, detail=exc.message)


def _throttled(exc: errors.Throttled) -> Response:
    return problem_response(
        429,
        "Too Many Requests",
        "Too many attempts; try again later.",
        headers={"Retry-After": str(exc.retry_after)},
    )


def _unauthorized(exc: Any) -> Response:
    return problem_response(401, "Unauthorized", str(exc), headers={"WWW-Authenticate": "Bearer"})
