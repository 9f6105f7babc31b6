"""HTTP routes of sign-in with OpenID Connect under /v1/auth: parse, call a use case, shape
the answer. Tokens travel only in response bodies, never in a URL."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_openapi3 import APIBlueprint

from keel_auth.domain import oidc as errors
from keel_auth.domain.oidc import BeginWebSignIn, FinishWebSignIn, SignInWithIdToken
from keel_auth.entrypoints.routes import TAG, _auth, _json, _no_content, _tokens, origin
from keel_auth.entrypoints.schemas_mfa import SignInOut
from keel_auth.entrypoints.schemas_oidc import (
    AuthorizeQuery,
    ExchangeBody,
    IdentitiesOut,
    IdentityOut,
    IdentityPath,
    IdTokenBody,
    LinkIdentityBody,
    ProviderPath,
)
from keel_auth.service_layer import identities, oidc
from keel_common.auth import require_principal
from keel_common.http import BEARER_AUTH, register_domain_errors

api = APIBlueprint("auth_oidc", __name__, url_prefix="/v1/auth", abp_tags=[TAG])

ERRORS: dict[type[Exception], tuple[int, str]] = {
    errors.UnknownProvider: (404, "Not Found"),
    errors.InvalidIdToken: (401, "Unauthorized"),
    errors.IdentityEmailNotVerified: (403, "Email not verified"),
    errors.AccountExists: (409, "Conflict"),
    errors.RedirectUriNotAllowed: (400, "Bad Request"),
    errors.InvalidSignInState: (400, "Bad Request"),
    errors.LastSignInMethod: (409, "Conflict"),
    errors.IdentityNotFound: (404, "Not Found"),
    errors.ProviderUnavailable: (503, "Service Unavailable"),
}


def install(app: Any) -> None:
    app.register_api(api)
    register_domain_errors(app, ERRORS)


def _redirect(location: str) -> Response:
    response = Response(status=302, headers={"Location": location})
    response.headers["Cache-Control"] = "no-store"
    # The provider's URL holds the state; the app's the one-time code: keep both out of
    # the Referer of whatever the next page loads.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@api.post(
    "/oidc/<string:provider>/token",
    responses={200: SignInOut, 401: None, 403: None, 409: None},
)
def oidc_token(path: ProviderPath, body: IdTokenBody) -> Any:
    """Native apps: the ID token their provider SDK returned, and the raw nonce."""
    auth = _auth()
    pair = oidc.sign_in_with_id_token(
        SignInWithIdToken(path.provider, body.id_token, body.nonce, body.name),
        origin(),
        auth.uow(),
        providers=auth.identity_providers,
        tokens=auth.tokens,
        revocations=auth.revocations,
        throttle=auth.throttle,
        policy=auth.policy,
        clock=auth.clock,
    )
    return _tokens(pair)


@api.get("/oidc/<string:provider>/authorize", responses={302: None})
def oidc_authorize(path: ProviderPath, query: AuthorizeQuery) -> Any:
    """Web apps: 302 to the provider (PKCE S256, state, nonce)."""
    auth = _auth()
    location = oidc.begin_web_sign_in(
        BeginWebSignIn(path.provider, query.redirect_uri),
        origin(),
        auth.uow(),
        providers=auth.identity_providers,
        throttle=auth.throttle,
        policy=auth.policy,
        clock=auth.clock,
    )
    return _redirect(location)


@api.get("/oidc/<string:provider>/callback", responses={302: None})
def oidc_callback(path: ProviderPath) -> Any:
    return _callback(path.provider)


@api.post("/oidc/<string:provider>/callback", responses={302: None})
def oidc_callback_form(path: ProviderPath) -> Any:
    """Apple answers with a form post (response_mode=form_post)."""
    return _callback(path.provider)


def _callback(provider: str) -> Response:
    auth = _auth()
    values = request.values  # the query, or Apple's form
    location = oidc.finish_web_sign_in(
        FinishWebSignIn(
            provider,
            state=values.get("state", "")[:256],
            code=values.get("code", "")[:2048] or None,
            error=values.get("error", "")[:256] or None,
            apple_user=values.get("user", "")[:4096] or None,
        ),
        origin(),
        auth.uow(),
        providers=auth.identity_providers,
        revocations=auth.revocations,
        throttle=auth.throttle,
        policy=auth.policy,
        clock=auth.clock,
    )
    return _redirect(location)


@api.post("/oidc/exchange", responses={200: SignInOut, 401: None})
def oidc_exchange(body: ExchangeBody) -> Any:
    auth = _auth()
    pair = oidc.exchange_code(
        body.code,
        origin(),
        auth.uow(),
        tokens=auth.tokens,
        throttle=auth.throttle,
        policy=auth.policy,
        clock=auth.clock,
    )
    return _tokens(pair)


@api.get("/identities", security=BEARER_AUTH, responses={200: IdentitiesOut})
def list_identities() -> Any:
    found = identities.list_identities(require_principal(), _auth().uow())
    return _json(IdentitiesOut(identities=[IdentityOut.of(each) for each in found]))


@api.post("/identities", security=BEARER_AUTH, responses={201: IdentityOut, 404: None, 409: None})
def link_identity(body: LinkIdentityBody) -> Any:
    """Link a provider to the signed-in account (proof of control of both)."""
    auth = _auth()
    identity = identities.link_identity(
        require_principal(),
        SignInWithIdToken(body.provider, body.id_token, body.nonce),
        origin(),
        auth.uow(),
        providers=auth.identity_providers,
        throttle=auth.throttle,
        policy=auth.policy,
        clock=auth.clock,
    )
    return _json(IdentityOut.of(identity), 201)


@api.delete("/identities/<uuid:id>", security=BEARER_AUTH, responses={204: None, 409: None})
def unlink_identity(path: IdentityPath) -> Any:
    auth = _auth()
    identities.unlink_identity(require_principal(), path.id, origin(), auth.uow(), clock=auth.clock)
    return _no_content()
