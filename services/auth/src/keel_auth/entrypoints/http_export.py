"""Data export over HTTP (issue #14): ``POST /v1/auth/me/export`` (Bearer) and the emailed
single-use link ``GET /v1/auth/me/export/{token}`` (no Bearer: the token is the proof)."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from keel_auth.bootstrap import Auth
from keel_auth.entrypoints.routes import AUTH_EXTENSION
from keel_auth.service_layer import export
from keel_common.auth import require_principal
from keel_common.http import BEARER_AUTH

export_api = APIBlueprint(
    "auth_export", __name__, url_prefix="/v1/auth", abp_tags=[Tag(name="auth")]
)


class ExportPath(BaseModel):
    token: str = Field(min_length=1, max_length=128)


def install(app: Any) -> None:
    app.register_api(export_api)


def _auth() -> Auth:
    auth: Auth = current_app.extensions[AUTH_EXTENSION]
    return auth


@export_api.post("/me/export", security=BEARER_AUTH, responses={202: None, 429: None})
def request_export() -> Any:
    """Assemble everything every service holds about the caller; the link arrives by email."""
    auth = _auth()
    export.request_export(require_principal(), auth.uow(), auth.policy, auth.clock)
    return {"status": "accepted"}, 202


@export_api.get("/me/export/<token>", responses={200: None, 404: None})
def download_export(path: ExportPath) -> Any:
    """The export document, once; 404 for a used, expired or unknown link (one answer for
    the three: a guessed link learns nothing)."""
    auth = _auth()
    response = jsonify(export.download_export(path.token, auth.uow(), auth.clock))
    response.headers["Cache-Control"] = "no-store"
    return response
