"""Tables of the notification database and the imperative mapping of the domain onto them."""

from __future__ import annotations

from datetime import time
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import registry

from keel_common.audit.sql import audit_table
from keel_common.db import UtcDateTime, map_entity, standard_table
from keel_common.outbox import outbox_table
from keel_notification.domain.model import (
    Category,
    Channel,
    Contact,
    Device,
    Notification,
    Platform,
    Preferences,
    QuietHours,
    Status,
)

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "pk": "pk_%(table_name)s",
    }
)
mapper_registry = registry(metadata=metadata)


class QuietHoursType(sa.TypeDecorator[QuietHours]):
    """The quiet-hours value object as one JSON value: {"start", "end", "timezone"}."""

    impl = sa.JSON
    cache_ok = True

    def process_bind_param(self, value: QuietHours | None, dialect: Any) -> Any:
        if value is None:
            return None
        return {
            "start": value.start.isoformat("minutes"),
            "end": value.end.isoformat("minutes"),
            "timezone": value.timezone,
        }

    def process_result_value(self, value: Any, dialect: Any) -> QuietHours | None:
        if value is None:
            return None
        start, end = time.fromisoformat(value["start"]), time.fromisoformat(value["end"])
        return QuietHours(start, end, value["timezone"])


def _enum(enum_class: type[Enum]) -> sa.Enum:
    return sa.Enum(
        enum_class,
        native_enum=False,
        length=16,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


notifications = standard_table(
    "notifications",
    metadata,
    sa.Column("user_id", sa.Uuid, nullable=True),
    sa.Column("event_id", sa.Uuid, nullable=False, index=True),
    sa.Column("channel", _enum(Channel), nullable=False),
    sa.Column("category", _enum(Category), nullable=False),
    sa.Column("template", sa.String(64), nullable=False),
    sa.Column("locale", sa.String(35), nullable=False),
    sa.Column("recipient", sa.String(512), nullable=False),
    sa.Column("platform", _enum(Platform), nullable=True),
    sa.Column("content", sa.JSON, nullable=True),
    sa.Column("status", _enum(Status), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", UtcDateTime, nullable=True),
    sa.Column("provider", sa.String(64), nullable=True),
    sa.Column("provider_message_id", sa.String(255), nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("sent_at", UtcDateTime, nullable=True),
    sa.Column("dead_lettered_at", UtcDateTime, nullable=True),
    # the same event never yields the same message twice, even if the inbox were bypassed
    sa.UniqueConstraint("event_id", "channel", "template", "recipient"),
    sa.Index("ix_notifications_user_page", "user_id", "created_at", "id"),
    # support's reads (console): the whole log, the last hour's failures, one address's log
    sa.Index("ix_notifications_newest", "created_at", "id"),
    sa.Index("ix_notifications_recipient_page", "recipient", "created_at", "id"),
    sa.Index("ix_notifications_due", "status", "next_attempt_at"),
)

devices = standard_table(
    "devices",
    metadata,
    sa.Column("user_id", sa.Uuid, nullable=False, index=True),
    sa.Column("platform", _enum(Platform), nullable=False),
    sa.Column("token", sa.String(512), nullable=False, unique=True),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
)

preferences = standard_table(
    "preferences",
    metadata,
    sa.Column("user_id", sa.Uuid, nullable=False, unique=True),
    sa.Column("email_promotional", sa.Boolean, nullable=False),
    sa.Column("sms_promotional", sa.Boolean, nullable=False),
    sa.Column("push_promotional", sa.Boolean, nullable=False),
    sa.Column("quiet_hours", QuietHoursType, nullable=True),
)

contacts = standard_table(
    "contacts",
    metadata,
    sa.Column("user_id", sa.Uuid, nullable=False, unique=True),
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("phone", sa.String(32), nullable=True),
    sa.Column("locale", sa.String(35), nullable=False),
    sa.Column("registered_at", UtcDateTime, nullable=True, index=True),
)

# Ids of the events (and send requests, job periods) already turned into messages.
inbox = sa.Table(
    "inbox",
    metadata,
    sa.Column("event_id", sa.Uuid, primary_key=True),
    sa.Column("handled_at", UtcDateTime, nullable=False),
)

# Erasure reports (issue #14) staged with the erasure they announce (keel_common.outbox).
outbox = outbox_table(metadata)

_mapped = False


def start_mappers() -> None:
    """Map the domain classes once per process (idempotent)."""
    global _mapped
    if _mapped:
        return
    map_entity(mapper_registry, Notification, notifications)
    map_entity(mapper_registry, Device, devices)
    map_entity(mapper_registry, Preferences, preferences)
    map_entity(mapper_registry, Contact, contacts)
    _mapped = True


#: Dead-letter replays and discards by staff (``keel_common.audit``).
admin_audit = audit_table(metadata)
