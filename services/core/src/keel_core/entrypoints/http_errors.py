"""Domain errors as problem+json answers: the one place that decides their HTTP status."""

from __future__ import annotations

from flask import Flask, Response

from keel_common.http import field_problem, problem_response, register_domain_errors
from keel_core.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from keel_core.service_layer.ports import VersionPoliciesUnavailable

# Where each field named by a domain error travels in the request; the rest is the body.
_LOCATIONS = {
    "Idempotency-Key": "header",
    "If-Match": "header",
    "limit": "query",
    "cursor": "query",
    "platform": "query",
    "version": "query",
}


def _invalid_input(exc: InvalidInput) -> Response:
    # Each check refuses one part of the request (the body, a header or the query), so the
    # first field says where all of them travel.
    location = _LOCATIONS.get(exc.errors[0].field, "body") if exc.errors else "body"
    fields = [(e.field, e.message) for e in exc.errors]
    return field_problem(fields, location=location, detail=exc.detail)


def _thresholds_unavailable(exc: VersionPoliciesUnavailable) -> Response:
    return problem_response(503, "Service Unavailable", "App-version thresholds are unavailable.")


def install_error_mapping(app: Flask) -> None:
    register_domain_errors(
        app,
        {
            NotFound: (404, "Not Found"),
            Forbidden: (403, "Forbidden"),
            Conflict: (409, "Conflict"),
        },
    )
    app.register_error_handler(InvalidInput, _invalid_input)
    app.register_error_handler(VersionPoliciesUnavailable, _thresholds_unavailable)
