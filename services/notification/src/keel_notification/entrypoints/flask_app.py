"""The notification HTTP app: gunicorn loads ``create_app()`` (``keel-notification web``)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response
from flask_openapi3 import OpenAPI

from keel_common.auth import install_token_verifier
from keel_common.http import create_app as create_keel_app
from keel_common.http import problem_response, register_domain_errors
from keel_notification import config
from keel_notification.bootstrap import Notifications, bootstrap
from keel_notification.domain import errors
from keel_notification.entrypoints import http_routes


def create_app(
    settings: config.NotificationSettings | None = None,
    notifications: Notifications | None = None,
) -> OpenAPI:
    settings = settings or config.load()
    notifications = notifications or bootstrap(settings)
    app = create_keel_app(
        "notification",
        settings,
        readiness={"database": lambda: _ping(notifications)},
        api_title="Keel notification API",
    )
    app.extensions[http_routes.EXTENSION] = notifications
    install_token_verifier(app, notifications.verifier)
    install_error_mapping(app)
    app.register_api(http_routes.api)
    return app


def _ping(notifications: Notifications) -> None:
    with notifications.engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))


def install_error_mapping(app: OpenAPI) -> None:
    """Domain errors to problem+json; the statuses are the public contract."""
    register_domain_errors(
        app,
        {
            errors.DeviceNotFound: (404, "Not Found"),
            errors.Forbidden: (403, "Forbidden"),
            errors.InvalidCursor: (400, "Bad Request"),
        },
    )
    app.register_error_handler(errors.InvalidPreferences, _invalid_preferences)


def _invalid_preferences(exc: errors.InvalidPreferences) -> Response:
    issue = {"loc": ["body", "quiet_hours"], "msg": str(exc), "type": "value_error"}
    return problem_response(422, "Unprocessable Content", str(exc), errors=[issue])
