"""Per-request hooks: request id and trace context, body checks, access log, RED metrics.

The request id and ``traceparent`` of the caller are continued (``keel_common.tracing``) for
the whole request, so every log line it causes -- and every gRPC call or message it sends
with ``tracing.to_headers()`` -- carries them.
"""

from __future__ import annotations

import logging
import time
from bisect import bisect_left
from contextvars import Token
from typing import Any, NamedTuple

from flask import Flask, Response, current_app, request
from flask_openapi3.utils import parse_parameters
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from keel_common import tracing
from keel_common.http.json_depth import MAX_JSON_DEPTH, too_deep
from keel_common.http.problems import ProblemError
from keel_common.log_line import access_line
from keel_common.logging import ACCESS_LOGGER
from keel_common.metrics import HTTP_ERRORS, HTTP_LATENCY, HTTP_REQUESTS, labelled_once

access_log = logging.getLogger(ACCESS_LOGGER)
#: Route variables whose value is a secret (``/export/<token>``): never logged.
SECRET_PATH_ARGUMENTS = frozenset({"token", "secret", "code"})

# Probes and scrapes arrive every few seconds; logging them at INFO would drown the rest.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_BODYLESS = frozenset({"GET", "HEAD", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"


class _RequestState(NamedTuple):
    """What ``_start_request`` leaves on the request for the hooks after it."""

    started: float
    request_id: str
    tokens: tuple[Token[tracing.TraceContext | None], Token[str | None]]


def _start_request() -> None:
    started = time.perf_counter()
    # One context lookup for the whole hook (each proxy access is one), and the two headers
    # straight from the WSGI environ: copying every header costs more.
    current = request._get_current_object()  # type: ignore[attr-defined]
    environ = current.environ
    context, request_id = tracing.from_values(
        environ.get("HTTP_TRACEPARENT"), environ.get("HTTP_X_REQUEST_ID")
    )
    tokens = (tracing.current_trace.set(context), tracing.current_request_id.set(request_id))
    current.keel_state = _RequestState(started, request_id, tokens)


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


class _RedSeries:
    """The RED series of one (service, method, route, status), made once (``_red_series``),
    and what one request adds to them: what ``inc()`` and ``observe()`` add, written to their
    values directly. The public calls check on every request what holds for every child
    (observable, a positive amount, no exemplar) and walk the buckets in Python."""

    __slots__ = ("_bounds", "_buckets", "_errors", "_requests", "_sum")

    def __init__(self, service: str, method: str, route: str, status: int) -> None:
        latency = HTTP_LATENCY.labels(service, method, route)
        self._requests = HTTP_REQUESTS.labels(service, method, route, str(status))._value
        self._sum = latency._sum
        self._bounds = tuple(latency._upper_bounds)  # ascending, +Inf last
        self._buckets = tuple(latency._buckets)
        self._errors = HTTP_ERRORS.labels(service, method, route)._value if status >= 500 else None

    def record(self, elapsed: float) -> None:
        self._requests.inc(1)
        self._sum.inc(elapsed)
        # ``observe`` counts the first bucket whose bound is >= elapsed: bisect_left's index.
        self._buckets[bisect_left(self._bounds, elapsed)].inc(1)
        if self._errors is not None:
            self._errors.inc(1)


# Bounded: routes are templates, methods and statuses few.
_red_series = labelled_once(_RedSeries)


def _finish_request(response: Response) -> Response:
    current = request._get_current_object()  # type: ignore[attr-defined]
    state: _RequestState | None = getattr(current, "keel_state", None)
    elapsed = 0.0
    if state is not None:
        response.headers["X-Request-ID"] = state.request_id
        elapsed = time.perf_counter() - state.started
    rule = current.url_rule
    route = rule.rule if rule else UNMATCHED_ROUTE
    method = current.method if current.method in _METHODS else "OTHER"
    status = response.status_code
    _red_series(current_app.config["KEEL_SERVICE"], method, route, status).record(elapsed)
    # The path only: query strings and bodies may carry secrets and personal data; a path
    # that carries one itself (a single-use link's token) is logged as its route template.
    path = (
        rule.rule if rule is not None and SECRET_PATH_ARGUMENTS & rule.arguments else current.path
    )
    level = logging.DEBUG if path in QUIET_PATHS else logging.INFO
    if access_log.isEnabledFor(level):
        access_line(access_log, level, method, path, route, status, round(elapsed * 1000, 3))
    return response


def _end_request(exc: BaseException | None) -> None:
    current = request._get_current_object()  # type: ignore[attr-defined]
    state: _RequestState | None = vars(current).pop("keel_state", None)
    if state is not None:
        trace_token, request_id_token = state.tokens
        tracing.current_request_id.reset(request_id_token)
        tracing.current_trace.reset(trace_token)


def install_request_hooks(app: Flask) -> None:
    # Order matters: the ids must be in place before a body check can fail and log.
    app.before_request(_start_request)
    app.before_request(_check_body)
    app.after_request(_finish_request)
    app.teardown_request(_end_request)
