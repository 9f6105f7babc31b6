"""The core service's HTTP API: ``create_app()`` is what gunicorn serves."""

from __future__ import annotations

from flask import Response, jsonify
from flask_openapi3 import APIBlueprint, OpenAPI, Tag

from keel_common.auth import install_token_verifier
from keel_common.http import create_app as create_keel_app
from keel_core.bootstrap import Core, bootstrap
from keel_core.entrypoints import (
    http_admin,
    http_admin_audit,
    http_admin_listing,
    http_images,
    http_orders,
    http_products,
    http_uploads,
)
from keel_core.entrypoints.http_context import EXTENSION, core
from keel_core.entrypoints.http_errors import install_error_mapping
from keel_core.entrypoints.schemas import AppVersionOut, AppVersionQuery
from keel_core.service_layer.app_versions import check_app_version

app_version_api = APIBlueprint("app_version", __name__, abp_tags=[Tag(name="app-version")])


@app_version_api.get("/v1/app-version", responses={200: AppVersionOut})
def app_version(query: AppVersionQuery) -> Response:
    """Whether a mobile client of this version must (hard) or may (soft) update."""
    advice = check_app_version(core().policies, query.platform, query.version)
    return jsonify(AppVersionOut.model_validate(advice).model_dump(mode="json"))


def create_app(service: Core | None = None) -> OpenAPI:
    """The app; ``service`` defaults to ``bootstrap()`` from the environment's settings."""
    service = service or bootstrap()
    app = create_keel_app("core", service.settings, readiness=service.readiness)
    app.extensions[EXTENSION] = service
    install_token_verifier(app, service.verifier)
    install_error_mapping(app)
    for api in (
        http_products.api,
        http_images.api,
        http_orders.api,
        app_version_api,
        http_admin.api,
        http_admin_audit.api,
        http_admin_listing.api,
    ):
        app.register_api(api)
    app.register_blueprint(http_uploads.api)
    return app
