"""gRPC side of authentication: ``authorization`` metadata in, Principal out.

Servers call ``principal_from_context(context, verifier)`` in a method that needs a caller;
clients pass ``metadata=bearer_metadata(token)`` to forward the user's token.
"""

from __future__ import annotations

import grpc

from keel_common.auth.flask_bearer import bearer_token
from keel_common.auth.principal import InvalidToken, Principal, TokenVerifier


def bearer_metadata(token: str) -> tuple[tuple[str, str], ...]:
    """Call metadata carrying ``token`` the way ``principal_from_context`` reads it."""
    return (("authorization", f"Bearer {token}"),)


def principal_from_context(context: grpc.ServicerContext, verifier: TokenVerifier) -> Principal:
    """The calling user, or the call is aborted with ``UNAUTHENTICATED``."""
    header = dict(context.invocation_metadata()).get("authorization")
    token = bearer_token(header if isinstance(header, str) else None)
    if token is None:
        context.abort(grpc.StatusCode.UNAUTHENTICATED, "a Bearer access token is required")
    try:
        return verifier.verify(token)
    except InvalidToken:
        context.abort(grpc.StatusCode.UNAUTHENTICATED, "the access token is invalid")
    raise AssertionError("context.abort always raises")  # pragma: no cover - for type checkers
