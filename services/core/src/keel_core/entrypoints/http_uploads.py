"""``PUT /v1/core/uploads/<key>``: the local object store's upload endpoint (``make run``).

In production the client uploads to S3 and this route answers 404. Locally it plays S3's
part for the signed URLs ``LocalObjectStore`` hands out: signature, expiry, content type and
size are checked before a byte of the body is read.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from keel_common.http import problem_response
from keel_core.adapters.object_store import LocalObjectStore, UploadRefused
from keel_core.domain.images import MAX_UPLOAD_BYTES
from keel_core.entrypoints.http_context import core

api = Blueprint("uploads", __name__)


@api.url_value_preprocessor
def _allow_image_bodies(endpoint: str | None, values: dict[str, Any] | None) -> None:
    # Runs before the app's 1 MiB body check (before_request); the signed size, checked in
    # the route, is the real limit.
    request.max_content_length = MAX_UPLOAD_BYTES + 1


_TITLES = {400: "Bad Request", 403: "Forbidden", 411: "Length Required", 413: "Content Too Large"}


@api.put("/v1/core/uploads/<path:key>")
def upload(key: str) -> Response:
    service = core()
    store = service.media
    if not isinstance(store, LocalObjectStore):
        return problem_response(404, "Not Found", "Uploads go to the object store.")
    try:
        store.check_upload(
            key, request.args, request.content_type, request.content_length, service.clock()
        )
        store.save_upload(key, request.stream, request.content_length or 0)
    except UploadRefused as refused:
        return problem_response(refused.status, _TITLES[refused.status], refused.detail)
    return Response(status=204)
