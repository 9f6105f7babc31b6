"""The problem answers of every operation, written into the OpenAPI document.

Keel's HTTP conventions decide most error statuses generically, so the document derives
them from what an operation is instead of each route listing them by hand:

- every operation: 429 (the gateway's and the services' rate limits), with ``Retry-After``;
- a protected operation (``security``): 401 and 403;
- a JSON body: 400 (malformed or too deeply nested), 413, 415 and 422;
- query or path parameters: 400, 414 (the gateway's URL limit) and 422;
- a path parameter: 404 (no such resource).

A route adds what only it can answer (404 without a path parameter, 409) through
flask-openapi3's ``responses``, e.g. ``responses={201: UserOut, 409: None}``; any 4xx
declared there is documented as a problem document here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from types import FunctionType
from typing import Any

from flask_openapi3 import APIBlueprint, OpenAPI

from keel_common.http import query_params

PROBLEM_JSON = "application/problem+json"
_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})
_DESCRIPTIONS = {
    "400": "Malformed request (invalid JSON, or nested too deeply)",
    "401": "Missing, invalid or expired access token",
    "403": "The token's user may not do this",
    "404": "No such resource",
    "409": "Conflicts with the current state",
    "413": "The body is larger than the limit",
    "414": "The URL is longer than the gateway accepts",
    "415": "The body is not application/json",
    "422": "The request does not match the schema",
    "429": "Too many requests; retry after the time given",
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying",
        "schema": {"type": "integer", "minimum": 0},
    }
}


def problem_statuses(path: str, operation: dict[str, Any]) -> set[str]:
    """The 4xx statuses an operation can answer under Keel's conventions."""
    statuses = {"429"}
    if operation.get("security"):
        statuses |= {"401", "403"}
    if "requestBody" in operation:
        statuses |= {"400", "413", "415", "422"}
    places = {parameter.get("in") for parameter in operation.get("parameters", [])}
    if places & {"query", "path"}:
        # 414: the gateway refuses a request line over its limit (4 KiB).
        statuses |= {"400", "414", "422"}
    if "path" in places or "{" in path:
        statuses.add("404")
    # 422 is in every operation's defaults (create_app); it is decided above, not declared.
    declared = {c for c in operation.get("responses", {}) if c.startswith("4") and c != "422"}
    return statuses | declared


def _problem_response(status: str) -> dict[str, Any]:
    model = "ValidationProblem" if status == "422" else "Problem"
    response: dict[str, Any] = {
        "description": _DESCRIPTIONS.get(status, "An RFC 9457 problem"),
        "content": {PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{model}"}}},
    }
    if status == "429":
        response["headers"] = copy.deepcopy(_RETRY_AFTER)
    return response


def document_problems(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with each operation's problem answers listed (a copy)."""
    document = copy.deepcopy(document)
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            statuses = problem_statuses(path, operation)
            if "422" not in statuses:
                responses.pop("422", None)  # nothing to validate: no body, no parameters
            for status in sorted(statuses):
                responses[status] = _problem_response(status)
    return document


class KeelOpenAPI(OpenAPI):
    """flask-openapi3's app whose document lists every problem answer (see above), and whose
    ``register_api`` keeps the operations other blueprints already document on the same
    paths: flask-openapi3 replaces a path's whole item, so a feature module serving
    ``PATCH /me`` beside the core module's ``GET /me`` would drop ``GET`` from the document
    (the routes themselves work either way)."""

    #: Views and hooks found synchronous: Flask asks ``inspect`` again for each, on every
    #: request (seven times for a product read); they are registered once, so the set is small.
    _MAX_SYNC_REMEMBERED = 4096

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._keel_sync: set[Callable[..., Any]] = set()
        query_params.install()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        if type(func) is not FunctionType:
            return super().ensure_sync(func)
        remembered = self._keel_sync
        if func in remembered:
            return func
        ensured = super().ensure_sync(func)
        if ensured is func and len(remembered) < self._MAX_SYNC_REMEMBERED:
            remembered.add(func)
        return ensured

    @property
    def api_doc(self) -> dict[str, Any]:
        return document_problems(super().api_doc)

    def register_api(self, api: APIBlueprint, **options: Any) -> None:
        earlier = {uri: self.paths[uri] for uri in api.paths if uri in self.paths}
        super().register_api(api, **options)
        for uri, item in earlier.items():
            merged = self.paths[uri]
            for method in sorted(_METHODS):
                if getattr(merged, method, None) is None and getattr(item, method, None):
                    setattr(merged, method, getattr(item, method))
