"""The search service's HTTP API: ``create_app()`` is what gunicorn serves."""

from __future__ import annotations

from flask import Response, current_app, jsonify
from flask_openapi3 import APIBlueprint, OpenAPI, Tag

from keel_common.http import ProblemError
from keel_common.http import create_app as create_keel_app
from keel_search.bootstrap import Search, bootstrap
from keel_search.domain.errors import InvalidQuery
from keel_search.domain.queries import SearchQuery
from keel_search.entrypoints.schemas import SearchOut, SearchParams
from keel_search.service_layer.searching import search_products

EXTENSION = "keel_search"

api = APIBlueprint("search", __name__, url_prefix="/v1/search", abp_tags=[Tag(name="search")])


@api.get("/products", responses={200: SearchOut})
def search(query: SearchParams) -> Response:
    """Products matching every word (the last may be partial; 5+ letter words may have a
    typo), filtered, sorted and paged, with highlights and counts per category."""
    wired: Search = current_app.extensions[EXTENSION]
    try:
        parsed = SearchQuery.parse(
            text=query.q,
            category=query.category,
            min_price_cents=query.min_price_cents,
            max_price_cents=query.max_price_cents,
            sort=query.sort,
            limit=query.limit,
            cursor=query.cursor,
        )
    except InvalidQuery as exc:
        raise _invalid(exc) from None
    result = search_products(parsed, wired.index)
    return jsonify(SearchOut.of(result).model_dump(mode="json"))


def _invalid(exc: InvalidQuery) -> ProblemError:
    """The same 422 shape as a schema violation, one entry per bad parameter."""
    errors = [
        {"loc": ["query", e.field], "msg": e.message, "type": "value_error"} for e in exc.errors
    ]
    return ProblemError(
        422, "Unprocessable Content", "The search parameters are not valid.", errors=errors
    )


def create_app(wired: Search | None = None) -> OpenAPI:
    """The app; ``wired`` defaults to ``bootstrap()`` from the environment's settings."""
    wired = wired or bootstrap()
    app = create_keel_app("search", wired.settings, readiness=wired.readiness)
    app.extensions[EXTENSION] = wired
    app.register_api(api)
    return app
