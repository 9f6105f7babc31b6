"""Flask side of authentication: the Bearer header becomes a Principal, or the answer is 401.

Install the verifier once in ``create_app`` and call ``require_principal()`` in a view::

    install_token_verifier(app, verifier)

    @app.get("/v1/orders")
    def list_orders():
        principal = require_principal()
        ...

Authorization (roles, ownership) stays in the service layer; this only authenticates.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request

from keel_common.auth.principal import InvalidToken, Principal, TokenVerifier
from keel_common.http.problems import ProblemError, problem_response
from keel_common.second_factor import MFA_REQUIRED_TYPE, SecondFactorRequired

_EXTENSION = "keel.token_verifier"


def install_token_verifier(app: Flask, verifier: TokenVerifier) -> None:
    """Make ``verifier`` the one ``require_principal`` uses for this app, and answer a
    privileged caller without a second factor (``keel_common.second_factor``) with a 403."""
    app.extensions[_EXTENSION] = verifier
    app.register_error_handler(SecondFactorRequired, _second_factor_required)


def _second_factor_required(exc: SecondFactorRequired) -> Response:
    return problem_response(403, "Second factor required", str(exc), MFA_REQUIRED_TYPE)


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value, else None."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


def require_principal(verifier: TokenVerifier | None = None) -> Principal:
    """The caller of the current request; otherwise a ``ProblemError`` that answers 401
    (problem+json with ``WWW-Authenticate: Bearer``). ``verifier`` replaces the app's for a
    route whose use case checks more itself (a read of the session's own row, say); what it
    accepted is not kept for the rest of the request."""
    cached: Principal | None = None if verifier else g.get("keel_principal")
    if cached is not None:
        return cached
    token = bearer_token(request.headers.get("Authorization"))
    if token is None:
        raise _unauthorized("A Bearer access token is required.", error=None)
    checking: TokenVerifier = verifier or current_app.extensions[_EXTENSION]
    try:
        principal = checking.verify(token)
    except InvalidToken:
        raise _unauthorized(
            "The access token is invalid, expired or revoked.", error="invalid_token"
        ) from None
    if verifier is None:
        g.keel_principal = principal
    return principal


def _unauthorized(detail: str, error: str | None) -> ProblemError:
    # RFC 6750 section 3: the challenge names the scheme, and the error once a token was sent.
    challenge = f'Bearer error="{error}"' if error else "Bearer"
    return ProblemError(401, "Unauthorized", detail, headers={"WWW-Authenticate": challenge})
