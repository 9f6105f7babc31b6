"""The notification HTTP app: gunicorn loads ``create_app()`` (``keel-notification web``)."""

from __future__ import annotations

from functools import partial

from flask import Response
from flask_openapi3 import OpenAPI

from keel_common.audit import MissingReason
from keel_common.auth import install_token_verifier
from keel_common.http import create_app as create_keel_app
from keel_common.http import field_problem, register_domain_errors
from keel_common.http.dead_letters import dead_letter_api
from keel_common.messaging import BrokerError
from keel_notification.bootstrap import DECLARATION, Notifications, bootstrap
from keel_notification.domain import errors
from keel_notification.entrypoints import http_admin_messages, http_routes
from keel_notification.service_layer.dead_letters import desk


def create_app(service: Notifications | None = None) -> OpenAPI:
    service = service or bootstrap()
    app = create_keel_app(
        "notification",
        service.settings,
        readiness=service.readiness,
        api_title="Keel notification API",
    )
    app.extensions[http_routes.EXTENSION] = service
    install_token_verifier(app, service.verifier)
    install_error_mapping(app)
    app.register_api(http_routes.api)
    app.register_api(http_admin_messages.api)
    dead_letters = partial(
        desk,
        service.broker,
        DECLARATION.queues,
        service.audit,
        service.clock,
        mfa_roles=service.settings.require_mfa_for_roles,
    )
    app.register_api(dead_letter_api("notification", dead_letters))
    return app


def install_error_mapping(app: OpenAPI) -> None:
    """Domain errors to problem+json; the statuses are the public contract."""
    register_domain_errors(
        app,
        {
            errors.DeviceNotFound: (404, "Not Found"),
            errors.NotificationNotFound: (404, "Not Found"),
            errors.Forbidden: (403, "Forbidden"),
            errors.NotResendable: (409, "Conflict"),
            MissingReason: (422, "Unprocessable Content"),  # a reason of blanks
            errors.InvalidCursor: (400, "Bad Request"),
            BrokerError: (503, "Service Unavailable"),  # the dead-letter count
        },
    )
    app.register_error_handler(errors.InvalidPreferences, _invalid_preferences)


def _invalid_preferences(exc: errors.InvalidPreferences) -> Response:
    return field_problem([("quiet_hours", str(exc))], detail=str(exc))
