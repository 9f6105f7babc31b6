"""``POST /v1/admin/products/{id}/unlist`` and ``/relist``: the console's listing buttons."""

from __future__ import annotations

from flask import Response, jsonify
from flask_openapi3 import APIBlueprint, Tag

from keel_common.auth import require_principal
from keel_core.entrypoints.admin_schemas import CancelIn
from keel_core.entrypoints.http_context import BEARER, caller, uow
from keel_core.entrypoints.schemas import ProductOut, ProductPath
from keel_core.service_layer import admin_listing

api = APIBlueprint(
    "admin_listing",
    __name__,
    url_prefix="/v1/admin",
    abp_tags=[Tag(name="admin", description="Back-office: staff and admins only")],
    abp_security=BEARER,
)


@api.before_request
def _authenticate() -> None:
    require_principal()


@api.post("/products/<uuid:product_id>/unlist", responses={200: ProductOut})
def unlist_product(path: ProductPath, body: CancelIn) -> Response:
    """Take a product off the public listing and search; the owner sees the reason (staff)."""
    found = admin_listing.unlist_product(uow(), caller(), path.product_id, body.reason)
    return jsonify(ProductOut.model_validate(found).model_dump(mode="json"))


@api.post("/products/<uuid:product_id>/relist", responses={200: ProductOut})
def relist_product(path: ProductPath, body: CancelIn) -> Response:
    """Put an unlisted product back on the listing and in search (staff)."""
    found = admin_listing.relist_product(uow(), caller(), path.product_id, body.reason)
    return jsonify(ProductOut.model_validate(found).model_dump(mode="json"))
