"""Self-service routes under /v1/auth (issue #14): password change, profile, email change,
sessions. Parse, call a use case, shape the answer; registered by ``routes.install``."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint

from keel_auth.domain.commands import (
    ChangeEmail,
    ChangePassword,
    ConfirmEmailChange,
    RevokeSession,
    UpdateProfile,
)
from keel_auth.entrypoints.routes import ACCEPTED, TAG, _auth, _json, _no_content, origin
from keel_auth.entrypoints.schemas import UserOut
from keel_auth.entrypoints.schemas_account import (
    ChangeEmailBody,
    ChangePasswordBody,
    ConfirmEmailChangeBody,
    SessionOut,
    SessionPath,
    SessionsOut,
    UpdateProfileBody,
)
from keel_auth.service_layer import account, email_change
from keel_common.auth import require_principal
from keel_common.http import BEARER_AUTH

api = APIBlueprint("auth_account", __name__, url_prefix="/v1/auth", abp_tags=[TAG])


@api.post("/password/change", security=BEARER_AUTH, responses={204: None, 401: None})
def change_password(body: ChangePasswordBody) -> Any:
    """Every other session of the user is signed out; this one stays."""
    auth = _auth()
    account.change_password(
        require_principal(),
        ChangePassword(body.current_password, body.new_password),
        origin(),
        auth.uow(),
        hasher=auth.hasher,
        revocations=auth.revocations,
        throttle=auth.throttle,
        policy=auth.policy,
        clock=auth.clock,
    )
    return _no_content()


@api.patch("/me", security=BEARER_AUTH, responses={200: UserOut})
def update_profile(body: UpdateProfileBody) -> Any:
    auth = _auth()
    user = account.update_profile(
        require_principal(), UpdateProfile(body.name, body.locale), origin(), auth.uow(), auth.clock
    )
    return _json(UserOut.of(user))


@api.post("/email/change", security=BEARER_AUTH, responses={202: None, 401: None})
def change_email(body: ChangeEmailBody) -> Any:
    """202 whether or not another account has the new address (it gets no link then)."""
    auth = _auth()
    email_change.request_email_change(
        require_principal(),
        ChangeEmail(body.new_email, body.password),
        origin(),
        auth.uow(),
        hasher=auth.hasher,
        throttle=auth.throttle,
        policy=auth.policy,
        clock=auth.clock,
    )
    return ACCEPTED, 202


@api.post("/email/change/confirm", responses={200: UserOut, 400: None, 401: None, 409: None})
def confirm_email_change(body: ConfirmEmailChangeBody) -> Any:
    """The link sent to the new address (no Bearer): every session of the user ends."""
    auth = _auth()
    user = email_change.confirm_email_change(
        ConfirmEmailChange(body.token),
        origin(),
        auth.uow(),
        revocations=auth.revocations,
        policy=auth.policy,
        clock=auth.clock,
    )
    return _json(UserOut.of(user))


@api.get("/sessions", security=BEARER_AUTH, responses={200: SessionsOut})
def list_sessions() -> Any:
    auth = _auth()
    principal = require_principal()
    found = account.list_sessions(principal, auth.uow(), auth.policy, auth.clock)
    items = [SessionOut.of(session, principal.session_id) for session in found]
    return _json(SessionsOut(items=items))


@api.delete("/sessions/<uuid:id>", security=BEARER_AUTH, responses={204: None})
def revoke_session(path: SessionPath) -> Any:
    """Its tokens stop working at every service at once (the shared denylist)."""
    auth = _auth()
    account.revoke_session(
        require_principal(),
        RevokeSession(path.id),
        origin(),
        auth.uow(),
        revocations=auth.revocations,
        policy=auth.policy,
        clock=auth.clock,
    )
    return _no_content()
