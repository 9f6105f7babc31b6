"""The search service's HTTP API: ``create_app()`` is what gunicorn serves."""

from __future__ import annotations

from functools import partial
from typing import cast

from flask import Response, current_app, jsonify
from flask_openapi3 import APIBlueprint, OpenAPI, Tag

from keel_common.auth import install_token_verifier, require_principal
from keel_common.http import BEARER_AUTH, field_problem, register_domain_errors
from keel_common.http import create_app as create_keel_app
from keel_common.http.dead_letters import dead_letter_api
from keel_common.messaging import BrokerError
from keel_search.bootstrap import DECLARATION, Search, bootstrap
from keel_search.domain.errors import Forbidden, InvalidQuery, RebuildNotFound
from keel_search.domain.queries import SearchQuery
from keel_search.domain.results import SearchResult
from keel_search.entrypoints import http_admin
from keel_search.entrypoints.schemas import DeadLettersOut, SearchOut, SearchParams
from keel_search.entrypoints.search_json import search_body, writes_as_flask
from keel_search.service_layer.dead_letters import dead_letter_counts, desk
from keel_search.service_layer.searching import answer_search

EXTENSION = "keel_search"
JSON = "application/json"  # what jsonify answers

api = APIBlueprint("search", __name__, url_prefix="/v1/search", abp_tags=[Tag(name="search")])
admin = APIBlueprint("search_dead_letters", __name__, abp_tags=[Tag(name="admin")])


@api.get("/products", responses={200: SearchOut})
def search(query: SearchParams) -> Response:
    """Products matching every word (the last may be partial; 5+ letter words may have a
    typo), filtered, sorted and paged, with highlights and counts per category."""
    service: Search = current_app.extensions[EXTENSION]
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
        # The same 422 shape as a schema violation, one entry per bad parameter.
        return field_problem(
            [(e.field, e.message) for e in exc.errors],
            location="query",
            detail="The search parameters are not valid.",
        )
    answer = answer_search(parsed, service.index, service.result_cache, _json_body, view="http")
    return Response(answer, mimetype=JSON)


def _json_body(result: SearchResult) -> bytes:
    """The body ``jsonify(SearchOut...)`` answers, byte for byte: kept by the result cache,
    so a cached search costs no serialization. Written directly (``search_json``) while
    the app's JSON provider has its default settings, which is what it makes then."""
    if writes_as_flask(current_app.json, current_app.debug):
        return search_body(result)
    response = current_app.json.response(SearchOut.json_of(result))
    return cast(Response, response).get_data()


@admin.get("/v1/admin/search/dead-letters", responses={200: DeadLettersOut}, security=BEARER_AUTH)
def get_dead_letters() -> Response:
    """How many messages each consumer queue of search has dead-lettered (admins)."""
    service: Search = current_app.extensions[EXTENSION]
    counts = dead_letter_counts(
        service.broker.dead_letter_count,
        DECLARATION.queues,
        caller=require_principal(),
        mfa_roles=service.settings.require_mfa_for_roles,
    )
    return jsonify(
        queues=[{"queue": s.name, "dead_queue": s.dead_queue, "dead_letters": n} for s, n in counts]
    )


def create_app(service: Search | None = None) -> OpenAPI:
    """The app; ``service`` defaults to ``bootstrap()`` from the environment's settings."""
    service = service or bootstrap()
    app = create_keel_app("search", service.settings, readiness=service.readiness)
    app.extensions[EXTENSION] = service
    install_token_verifier(app, service.verifier)
    register_domain_errors(
        app,
        {
            Forbidden: (403, "Forbidden"),
            RebuildNotFound: (404, "Not Found"),
            BrokerError: (503, "Service Unavailable"),
        },
    )
    app.register_api(api)
    app.register_api(admin)
    app.register_api(http_admin.api)
    dead_letters = partial(
        desk,
        service.broker,
        DECLARATION.queues,
        service.audit,
        service.clock,
        mfa_roles=service.settings.require_mfa_for_roles,
    )
    app.register_api(dead_letter_api("search", dead_letters))
    return app
