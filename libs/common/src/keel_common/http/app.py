"""The Flask app factory every service's ``entrypoints/flask_app.py`` starts from."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Response, current_app
from flask_openapi3 import Info, OpenAPI
from flask_openapi3.models import Schema as OpenAPISchema
from flask_openapi3.utils import get_model_schema
from werkzeug.middleware.proxy_fix import ProxyFix

from keel_common.errors import init_sentry
from keel_common.http.observability import install_request_hooks
from keel_common.http.openapi import KeelOpenAPI
from keel_common.http.ops import install_ops_routes
from keel_common.http.problems import PROBLEM_JSON, install_problem_handlers, validation_problem
from keel_common.http.schemas import Problem, ValidationProblem
from keel_common.settings import ServiceSettings

MiB = 1024 * 1024

# Access tokens from keel-auth; a protected route declares ``security=BEARER_AUTH`` so the
# document (and SDKs generated from it) know to send ``Authorization: Bearer <jwt>``.
BEARER_AUTH: list[dict[str, list[str]]] = [{"bearerAuth": []}]
_SECURITY_SCHEMES: dict[str, Any] = {
    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
}


def _problem_responses() -> dict[Any, Any]:
    """Documented on every operation, so generated SDKs know the shape of every error."""

    def content(model: str) -> dict[str, Any]:
        return {PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{model}"}}}

    return {
        "422": {
            "description": "The request does not match the schema",
            "content": content("ValidationProblem"),
        },
        "default": {"description": "An RFC 9457 problem", "content": content("Problem")},
    }


def _no_store_unless_said(response: Response) -> Response:
    """API answers carry tokens, personal data and admin views: no browser or proxy cache may
    keep them (issue #11), unless a route says otherwise (the JWKS is public and cacheable).
    Error answers too: a cached 401 or 404 would outlive the state it describes."""
    # Not ``headers.setdefault``: werkzeug finds a name absent by raising and catching a
    # BadRequestKeyError, an HTTP exception built on every request.
    for name, _ in response.headers.items():
        if name.lower() == "cache-control":
            return response
    response.headers["Cache-Control"] = "no-store"
    return response


def json_body(body: bytes) -> Response:
    """A 200 answer of JSON already rendered: a read served from a cache's rendered copy (the
    exact bytes ``jsonify`` wrote when the copy was filled) skips building and encoding it."""
    return current_app.response_class(body, mimetype=current_app.json.mimetype)  # type: ignore[attr-defined]


def create_app(
    service: str,
    settings: ServiceSettings,
    *,
    readiness: Mapping[str, Callable[[], object]] | None = None,
    api_title: str | None = None,
    api_version: str = "1.0.0",
    max_content_length: int = 1 * MiB,
) -> OpenAPI:
    """A flask-openapi3 app with Keel's HTTP conventions installed.

    Routes are declared with flask-openapi3 (``app.post("/v1/...")`` or an ``APIBlueprint``
    with ``url_prefix="/v1/..."``); their ``body``/``query``/``path`` parameters are pydantic
    models, best derived from ``keel_common.http.Schema`` so unknown fields are rejected.
    The same models make the OpenAPI 3.1 document at ``/v1/<service>/openapi.json``.

    Installed here: problem+json answers for every error, request id and ``traceparent``
    continuation, the access log, RED metrics labelled with the route template,
    ``/healthz``, ``/readyz`` (runs each ``readiness`` check), ``/metrics``, the request size
    limit (413), and Sentry when ``settings.sentry_dsn`` is set.
    """
    app = KeelOpenAPI(
        __name__,
        info=Info(title=api_title or f"Keel {service} API", version=api_version),
        responses=_problem_responses(),
        security_schemes=_SECURITY_SCHEMES,
        validation_error_status=422,
        validation_error_model=ValidationProblem,
        validation_error_callback=validation_problem,
        doc_ui=False,
    )
    app.config["KEEL_SERVICE"] = service
    app.config["MAX_CONTENT_LENGTH"] = max_content_length
    # flask-openapi3 registers ValidationProblem (and its parts) itself; Problem is ours.
    app.components_schemas["Problem"] = OpenAPISchema(**get_model_schema(Problem))
    install_problem_handlers(app)
    install_request_hooks(app)
    app.after_request(_no_store_unless_said)
    install_ops_routes(app, service, readiness or {}, settings.drain_file)
    if settings.trusted_proxy_hops:
        # Behind the gateway/ingress the client is the address nginx appended to
        # X-Forwarded-For; per-IP limits, audit logs and access logs need it, not nginx's.
        hops = settings.trusted_proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    dsn = settings.sentry_dsn.get_secret_value() if settings.sentry_dsn else None
    init_sentry(dsn, service, settings.environment)
    return app
