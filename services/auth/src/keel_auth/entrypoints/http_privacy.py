"""Account erasure over HTTP (issue #14): ``DELETE /v1/auth/me`` for the owner, and the
admin's trigger and status under ``/v1/admin/users/{id}/erasure``. Parse, call, shape."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import abort, current_app, request
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field, ValidationError

from keel_auth.bootstrap import Auth
from keel_auth.domain.commands import DeleteAccount, EraseUser
from keel_auth.domain.erasure import Erasure
from keel_auth.entrypoints.routes import AUTH_EXTENSION, origin
from keel_auth.entrypoints.schemas import Secret, UserPath
from keel_auth.service_layer import privacy
from keel_common.auth import require_principal
from keel_common.http import BEARER_AUTH, Schema
from keel_common.http.problems import validation_problem


class DeleteAccountBody(Schema):
    password: Secret | None = None
    code: str | None = Field(default=None, max_length=16)


class EraseUserBody(Schema):
    reason: str = Field(min_length=1, max_length=500)


class ErasureOut(BaseModel):
    user_id: uuid.UUID
    requested_at: datetime
    #: When each service ("auth", "core", "notification", "search") reported; null: not yet.
    completed: dict[str, datetime | None]
    complete: bool
    confirmed_at: datetime | None

    @classmethod
    def of(cls, erasure: Erasure) -> ErasureOut:
        return cls(
            user_id=erasure.user_id,
            requested_at=erasure.requested_at,
            completed=erasure.completed(),
            complete=erasure.is_complete,
            confirmed_at=erasure.confirmed_at,
        )


me_api = APIBlueprint("auth_privacy", __name__, url_prefix="/v1/auth", abp_tags=[Tag(name="auth")])
admin_api = APIBlueprint(
    "auth_privacy_admin",
    __name__,
    url_prefix="/v1/admin",
    abp_tags=[Tag(name="admin", description="Operating the platform")],
)


def install(app: Any) -> None:
    app.register_api(me_api)
    app.register_api(admin_api)


def _auth() -> Auth:
    auth: Auth = current_app.extensions[AUTH_EXTENSION]
    return auth


@me_api.delete("/me", security=BEARER_AUTH, responses={202: None, 401: None})
def delete_me() -> Any:
    """Disable the account at once and erase it in every service. The body (``{password}``,
    or ``{code}`` for an account without a password) is parsed here: Flask's DELETE body."""
    auth = _auth()
    principal = require_principal()
    try:
        body = DeleteAccountBody.model_validate(request.get_json(silent=True) or {})
    except ValidationError as exc:
        abort(validation_problem(exc))
    privacy.delete_account(
        principal,
        DeleteAccount(body.password, body.code),
        origin(),
        auth.uow(),
        hasher=auth.hasher,
        revocations=auth.revocations,
        throttle=auth.throttle,
        policy=auth.policy,
        clock=auth.clock,
    )
    return {"status": "accepted"}, 202


@admin_api.post("/users/<uuid:id>/erasure", security=BEARER_AUTH, responses={202: ErasureOut})
def erase_user(path: UserPath, body: EraseUserBody) -> Any:
    auth = _auth()
    erasure = privacy.erase_user(
        require_principal(),
        EraseUser(path.id, body.reason),
        origin(),
        auth.uow(),
        revocations=auth.revocations,
        policy=auth.policy,
        clock=auth.clock,
    )
    return ErasureOut.of(erasure).model_dump(mode="json"), 202


@admin_api.get("/users/<uuid:id>/erasure", security=BEARER_AUTH, responses={200: ErasureOut})
def erasure_status(path: UserPath) -> Any:
    erasure = privacy.erasure_status(require_principal(), path.id, _auth().uow(), _auth().policy)
    return ErasureOut.of(erasure).model_dump(mode="json")
