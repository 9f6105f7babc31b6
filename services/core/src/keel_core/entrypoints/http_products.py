"""``/v1/products``: thin translation between HTTP and the product use cases."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request, url_for
from flask_openapi3 import APIBlueprint, Tag
from werkzeug.http import parse_etags

from keel_common.auth import require_principal
from keel_common.http import json_body
from keel_common.pagination import Page
from keel_core.domain.commands import CreateProduct, DeleteProduct, UpdateProduct
from keel_core.domain.errors import FieldError, InvalidInput
from keel_core.domain.products import ProductSnapshot
from keel_core.entrypoints.http_context import BEARER, caller, optional_caller, uow
from keel_core.entrypoints.schemas import (
    IfMatchHeader,
    ProductIn,
    ProductOut,
    ProductPage,
    ProductPatch,
    ProductPath,
    ProductQuery,
)
from keel_core.service_layer import products

api = APIBlueprint("products", __name__, url_prefix="/v1/products", abp_tags=[Tag(name="products")])


@api.before_request
def _authenticate_writes() -> None:
    # Before the body is validated: a caller without a token learns nothing but 401.
    if request.method in ("POST", "PATCH", "DELETE"):
        require_principal()


def product_json(product: ProductSnapshot) -> dict[str, Any]:
    return ProductOut.model_validate(product).model_dump(mode="json")


def _answer(product: ProductSnapshot, status: int = 200) -> Response:
    response = jsonify(product_json(product))
    response.status_code = status
    response.set_etag(str(product.version))
    return response


def expected_version(header: str | None) -> int | None:
    """The version named by ``If-Match`` (``"3"``, ``W/"3"``); None when absent or ``*``."""
    if header is None:
        return None
    etags = parse_etags(header)
    if etags.star_tag:
        return None
    tags = list(etags.as_set(include_weak=True))
    if len(tags) != 1 or not tags[0].isdigit():
        raise InvalidInput(
            'If-Match must hold the one ETag this API returned, e.g. "3".',
            [FieldError("If-Match", "not an ETag of this API")],
        )
    return int(tags[0])


@api.post("", responses={201: ProductOut}, security=BEARER)
def create_product(body: ProductIn) -> Response:
    """List a product for sale; the caller becomes its owner."""
    actor = caller()
    product = products.create_product(uow(), actor, CreateProduct(body.model_dump()))
    response = _answer(product, 201)
    response.headers["Location"] = url_for(".get_product", product_id=product.id)
    return response


def _page_response(page: Page[ProductSnapshot]) -> Response:
    return jsonify(items=[product_json(p) for p in page.items], next_cursor=page.next_cursor)


@api.get("", responses={200: ProductPage})
def list_products(query: ProductQuery) -> Response:
    """Live products, newest first; follow ``next_cursor`` for the next page."""
    if query.cursor is None and query.owner_id is None and query.category is None:
        render = lambda page: _page_response(page).get_data()  # noqa: E731
        return json_body(products.first_page_document(uow(), query.limit, render))
    return _page_response(products.list_products(uow(), **query.model_dump()))


@api.get("/<uuid:product_id>", responses={200: ProductOut})
def get_product(path: ProductPath) -> Response:
    """A listed product, to anyone; an unlisted one only to its seller and staff (404 to
    everyone else, as if deleted), with the reason it was unlisted."""
    render = lambda product: jsonify(product_json(product)).get_data()  # noqa: E731
    document = products.get_product_document(uow(), path.product_id, render, optional_caller)
    response = json_body(document.body)
    response.set_etag(str(document.version))
    return response


@api.patch("/<uuid:product_id>", responses={200: ProductOut}, security=BEARER)
def update_product(path: ProductPath, body: ProductPatch, header: IfMatchHeader) -> Response:
    """Change some fields (owner only); send ``If-Match`` to refuse a stale edit with 409."""
    actor = caller()
    command = UpdateProduct(
        path.product_id, body.model_dump(exclude_unset=True), expected_version(header.if_match)
    )
    return _answer(products.update_product(uow(), actor, command))


@api.delete("/<uuid:product_id>", responses={204: None}, security=BEARER)
def delete_product(path: ProductPath) -> Response:
    """Soft delete (owner or admin): the product stops being listed and sold."""
    actor = caller()
    products.delete_product(uow(), actor, DeleteProduct(path.product_id))
    return Response(status=204)
