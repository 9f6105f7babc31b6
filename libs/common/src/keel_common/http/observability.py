"""Per-request hooks: request id and trace context, body checks, access log, RED metrics.

The request id and ``traceparent`` of the caller are continued (``keel_common.tracing``) for
the whole request, so every log line it causes -- and every gRPC call or message it sends
with ``tracing.to_headers()`` -- carries them.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_openapi3.utils import parse_parameters
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from keel_common import tracing
from keel_common.http.json_depth import MAX_JSON_DEPTH, too_deep
from keel_common.http.problems import ProblemError
from keel_common.log_line import log_line
from keel_common.logging import ACCESS_LOGGER
from keel_common.metrics import HTTP_ERRORS, HTTP_LATENCY, HTTP_REQUESTS

access_log = logging.getLogger(ACCESS_LOGGER)
#: Route variables whose value is a secret (``/export/<token>``): never logged.
SECRET_PATH_ARGUMENTS = frozenset({"token", "secret", "code"})

# Probes and scrapes arrive every few seconds; logging them at INFO would drown the rest.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_BODYLESS = frozenset({"GET", "HEAD", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"


def _start_request() -> None:
    state = g._get_current_object()  # one context lookup, not one per attribute
    state.keel_started = time.perf_counter()
    # The two headers straight from the WSGI environ: copying every header costs more.
    environ = request.environ
    context, request_id = tracing.from_values(
        environ.get("HTTP_TRACEPARENT"), environ.get("HTTP_X_REQUEST_ID")
    )
    state.keel_request_id = request_id
    state.keel_tokens = (
        tracing.current_trace.set(context),
        tracing.current_request_id.set(request_id),
    )


def _body_model() -> Any:
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None:
        return None
    cache: dict[Any, Any] = current_app.extensions.setdefault("keel_body_models", {})
    if view not in cache:
        try:
            cache[view] = parse_parameters(view, doc_ui=False)[5]
        except (NameError, TypeError):
            # A plain Flask view whose annotations cannot be resolved declares no schema.
            cache[view] = None
    return cache[view]


def _check_body() -> None:
    """413, 415, malformed and too deeply nested JSON are decided before the route's schema
    sees the body."""
    current = request._get_current_object()  # type: ignore[attr-defined]
    # Flask's per-request limit: MAX_CONTENT_LENGTH unless a route's blueprint raised it.
    # Without a Content-Length (most GETs) there is no length to compare.
    if current.environ.get("CONTENT_LENGTH"):
        limit = current.max_content_length
        if limit is not None and (current.content_length or 0) > limit:
            raise RequestEntityTooLarge()
    # OPTIONS (CORS preflight) and HEAD reach the same endpoint but carry no body.
    if current.method in _BODYLESS or _body_model() is None:
        return
    if not request.is_json:
        raise ProblemError(415, "Unsupported Media Type", "Send the body as application/json.")
    if too_deep(request.get_data(cache=True)):
        raise ProblemError(
            400,
            "JSON Nested Too Deeply",
            f"Arrays and objects may nest at most {MAX_JSON_DEPTH} levels deep.",
        )
    try:
        request.get_json()
    except BadRequest:
        raise ProblemError(400, "Malformed JSON", "The request body is not valid JSON.") from None


# The RED series of one (service, method, route, status): looked up once, then reused.
_Series = tuple[Any, Any, Any]
_series: dict[tuple[str, str, str, int], _Series] = {}


def _red_series(service: str, method: str, route: str, status: int) -> _Series:
    key = (service, method, route, status)
    series = _series.get(key)
    if series is None:
        series = (
            HTTP_REQUESTS.labels(service, method, route, str(status)),
            HTTP_LATENCY.labels(service, method, route),
            HTTP_ERRORS.labels(service, method, route) if status >= 500 else None,
        )
        _series[key] = series  # bounded: routes are templates, methods and statuses few
    return series


def _finish_request(response: Response) -> Response:
    state = g._get_current_object()
    request_id = getattr(state, "keel_request_id", None)
    if request_id:
        response.headers["X-Request-ID"] = request_id
    started = getattr(state, "keel_started", None)
    elapsed = time.perf_counter() - started if started is not None else 0.0
    current = request._get_current_object()  # type: ignore[attr-defined]
    rule = current.url_rule
    route = rule.rule if rule else UNMATCHED_ROUTE
    method = current.method if current.method in _METHODS else "OTHER"
    status = response.status_code
    requests, latency, errors = _red_series(
        current_app.config["KEEL_SERVICE"], method, route, status
    )
    requests.inc()
    latency.observe(elapsed)
    if errors is not None:
        errors.inc()
    # The path only: query strings and bodies may carry secrets and personal data; a path
    # that carries one itself (a single-use link's token) is logged as its route template.
    path = (
        rule.rule if rule is not None and SECRET_PATH_ARGUMENTS & rule.arguments else current.path
    )
    level = logging.DEBUG if path in QUIET_PATHS else logging.INFO
    if access_log.isEnabledFor(level):
        extra = {"method": method, "path": path, "route": route, "status": status,
                 "duration_ms": round(elapsed * 1000, 3)}  # fmt: skip
        # The message formatted here: no arguments for the redaction filter to scrub one by
        # one before it scrubs the message they make.
        log_line(access_log, level, f"{method} {path} {status}", extra)
    return response


def _end_request(exc: BaseException | None) -> None:
    tokens = g.pop("keel_tokens", None)
    if tokens:
        tracing.current_request_id.reset(tokens[1])
        tracing.current_trace.reset(tokens[0])


def install_request_hooks(app: Flask) -> None:
    # Order matters: the ids must be in place before a body check can fail and log.
    app.before_request(_start_request)
    app.before_request(_check_body)
    app.after_request(_finish_request)
    app.teardown_request(_end_request)
