"""``/v1/products/{id}/images``: thin translation between HTTP and the image use cases."""

from __future__ import annotations

from dataclasses import asdict

from flask import Response, jsonify
from flask_openapi3 import APIBlueprint, Tag

from keel_core.entrypoints.http_context import BEARER, caller, core, uow
from keel_core.entrypoints.schemas import (
    ImagePath,
    ImageStateOut,
    ImageUploadIn,
    ImageUploadOut,
    ProductPath,
    UploadOut,
)
from keel_core.service_layer import images

api = APIBlueprint(
    "images", __name__, url_prefix="/v1/products", abp_tags=[Tag(name="product images")]
)


@api.post("/<uuid:product_id>/images", responses={201: ImageUploadOut}, security=BEARER)
def request_upload(path: ProductPath, body: ImageUploadIn) -> Response:
    """A pending image and a signed upload (10 minutes) for that type and at most that size."""
    actor = caller()
    service = core()
    state, ticket = images.request_upload(
        uow(), service.media, actor, path.product_id, body.content_type, body.size_bytes,
        service.clock,
    )  # fmt: skip
    upload = UploadOut.model_validate(
        asdict(ticket) | {"fields": ticket.fields or None, "headers": ticket.headers or None}
    )
    out = {
        "image": {"id": str(state.id), "status": state.status},
        "upload": upload.model_dump(mode="json", exclude_none=True),
    }
    response = jsonify(out)
    response.status_code = 201
    return response


@api.post(
    "/<uuid:product_id>/images/<uuid:image_id>/complete",
    responses={202: ImageStateOut},
    security=BEARER,
)
def complete_upload(path: ImagePath) -> Response:
    """The bytes are uploaded: check and process them (asynchronously)."""
    actor = caller()
    service = core()
    state = images.complete_upload(
        uow(), service.media, actor, path.product_id, path.image_id, service.clock
    )
    response = jsonify(ImageStateOut.model_validate(state).model_dump(mode="json"))
    response.status_code = 202
    return response


@api.get(
    "/<uuid:product_id>/images/<uuid:image_id>", responses={200: ImageStateOut}, security=BEARER
)
def get_image(path: ImagePath) -> Response:
    """One image in any status, for its owner: ``failure_reason`` says why it was refused."""
    state = images.get_image(uow(), caller(), path.product_id, path.image_id)
    return jsonify(ImageStateOut.model_validate(state).model_dump(mode="json"))


@api.delete("/<uuid:product_id>/images/<uuid:image_id>", responses={204: None}, security=BEARER)
def delete_image(path: ImagePath) -> Response:
    actor = caller()
    service = core()
    images.delete_image(uow(), service.media, actor, path.product_id, path.image_id, service.clock)
    return Response(status=204)
