"""``/v1/devices``, ``/v1/notifications``, ``/v1/admin/notifications`` and
``/v1/admin/notification/dead-letters``: thin translation
between HTTP and the use cases."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify
from flask_openapi3 import APIBlueprint, Tag

from keel_common.auth import Principal, require_principal
from keel_common.http import BEARER_AUTH
from keel_common.pagination import Page
from keel_notification.bootstrap import DECLARATION, Notifications
from keel_notification.domain.commands import RegisterDevice, RemoveDevice, UpdatePreferences
from keel_notification.domain.model import Notification, Platform, Preferences, QuietHours
from keel_notification.entrypoints.schemas import (
    AdminQuery,
    DeadLettersOut,
    DeviceIn,
    DeviceOut,
    DevicePath,
    NotificationOut,
    NotificationPage,
    PageQuery,
    PreferencesIn,
    PreferencesOut,
)
from keel_notification.service_layer import dead_letters, devices, history, preferences

EXTENSION = "keel_notification"

api = APIBlueprint("notification", __name__, abp_tags=[Tag(name="notifications")])


def wired() -> Notifications:
    notifications: Notifications = current_app.extensions[EXTENSION]
    return notifications


@api.before_request
def _authenticate() -> None:
    # every route needs a caller; checked before the body, so a 401 comes before a 422
    require_principal()


def caller() -> Principal:
    return require_principal()


def notification_json(n: Notification) -> dict[str, Any]:
    return NotificationOut.model_validate(n, from_attributes=True).model_dump(mode="json")


def page_json(page: Page[Notification]) -> Response:
    return jsonify(items=[notification_json(n) for n in page.items], next_cursor=page.next_cursor)


def preferences_json(prefs: Preferences) -> Response:
    quiet = prefs.quiet_hours
    return jsonify(
        email_promotional=prefs.email_promotional,
        sms_promotional=prefs.sms_promotional,
        push_promotional=prefs.push_promotional,
        quiet_hours=None
        if quiet is None
        else {
            "start": quiet.start.isoformat("minutes"),
            "end": quiet.end.isoformat("minutes"),
            "timezone": quiet.timezone,
        },
    )


@api.post("/v1/devices", responses={201: DeviceOut}, security=BEARER_AUTH)
def register_device(body: DeviceIn) -> tuple[Response, int]:
    """Register the app's push token for the caller; sending it again changes nothing."""
    command = RegisterDevice(caller().user_id, Platform(body.platform), body.token)
    device, _ = devices.register_device(wired().uow(), command)
    return jsonify(id=device.id, platform=str(device.platform), active=device.active), 201


@api.delete("/v1/devices/<uuid:id>", responses={204: None}, security=BEARER_AUTH)
def remove_device(path: DevicePath) -> tuple[str, int]:
    """Stop pushes to this device (the ``id`` of its registration: the token itself never
    travels in a URL, where access logs would keep it); another user's device answers 404."""
    app = wired()
    devices.remove_device(app.uow(), RemoveDevice(caller().user_id, path.id), now=app.clock())
    return "", 204


@api.get("/v1/notifications", responses={200: NotificationPage}, security=BEARER_AUTH)
def list_notifications(query: PageQuery) -> Response:
    """The caller's delivery log, newest first."""
    page = history.list_notifications(
        wired().uow(), caller().user_id, limit=query.limit, cursor=query.cursor
    )
    return page_json(page)


@api.get("/v1/notifications/preferences", responses={200: PreferencesOut}, security=BEARER_AUTH)
def get_preferences() -> Response:
    return preferences_json(preferences.get_preferences(wired().uow(), caller().user_id))


@api.put("/v1/notifications/preferences", responses={200: PreferencesOut}, security=BEARER_AUTH)
def put_preferences(body: PreferencesIn) -> Response:
    """Replace the caller's preferences; transactional messages are always sent."""
    quiet = body.quiet_hours
    command = UpdatePreferences(
        caller().user_id,
        body.email_promotional,
        body.sms_promotional,
        body.push_promotional,
        QuietHours(quiet.start, quiet.end, quiet.timezone) if quiet else None,
    )
    return preferences_json(preferences.update_preferences(wired().uow(), command))


@api.get("/v1/admin/notifications", responses={200: NotificationPage}, security=BEARER_AUTH)
def search_notifications(query: AdminQuery) -> Response:
    """Support's view of the delivery log, by user and/or by the event that caused it."""
    principal = caller()
    page = history.search_notifications(
        wired().uow(),
        roles=principal.roles,
        amr=principal.amr,
        mfa_roles=wired().settings.require_mfa_for_roles,
        user_id=query.user_id,
        event_id=query.event_id,
        recipient=query.recipient,
        notification_id=query.id,
        limit=query.limit,
        cursor=query.cursor,
    )
    return page_json(page)


@api.get(
    "/v1/admin/notification/dead-letters", responses={200: DeadLettersOut}, security=BEARER_AUTH
)
def get_dead_letters() -> Response:
    """How many messages each consumer queue of the service has dead-lettered (admins)."""
    counts = dead_letters.dead_letter_counts(
        wired().broker.dead_letter_count,
        DECLARATION.queues,
        caller=caller(),
        mfa_roles=wired().settings.require_mfa_for_roles,
    )
    return jsonify(
        queues=[{"queue": s.name, "dead_queue": s.dead_queue, "dead_letters": n} for s, n in counts]
    )
