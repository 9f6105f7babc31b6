"""Domain errors as problem+json answers: the one place that decides their HTTP status."""

from __future__ import annotations

from flask import Flask, Response

from keel_common.http import problem_response, register_domain_errors
from keel_core.domain.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from keel_core.service_layer.ports import VersionPoliciesUnavailable

# Where each field named by a domain error travels in the request; the rest is the body.
_LOCATIONS = {
    "Idempotency-Key": "header",
    "limit": "query",
    "cursor": "query",
    "platform": "query",
    "version": "query",
}


def _issue(error: FieldError) -> dict[str, object]:
    path: list[str | int] = [int(p) if p.isdigit() else p for p in error.field.split(".")]
    location = _LOCATIONS.get(error.field, "body")
    return {"loc": [location, *path], "msg": error.message, "type": "value_error"}


def _invalid_input(exc: InvalidInput) -> Response:
    # Same shape as the schema's 422 (keel_common.http.ValidationProblem).
    errors = [_issue(e) for e in exc.errors]
    return problem_response(422, "Unprocessable Content", exc.detail, errors=errors)


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
