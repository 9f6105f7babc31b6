"""SQLAlchemy implementations of the repository ports."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from keel_common.pagination import InvalidCursor, Page, Position, decode_cursor, page_of
from keel_notification.adapters.orm import contacts, devices, inbox, notifications, preferences
from keel_notification.domain import errors
from keel_notification.domain.model import Contact, Device, Notification, Preferences, Status
from keel_notification.service_layer import ports


def position(notification: Notification) -> Position:
    """Where a page of the delivery log (newest first) ends."""
    return Position(notification.created_at, notification.id)


def after(cursor: str) -> Position:
    """The position a cursor points after; the domain's ``InvalidCursor`` if we did not
    issue it."""
    try:
        return decode_cursor(cursor)
    except InvalidCursor as exc:
        raise errors.InvalidCursor("this cursor was not issued by this service") from exc


class SqlAlchemyNotificationRepository(ports.NotificationRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, notification: Notification) -> None:
        self.session.add(notification)

    def get(self, id: uuid.UUID) -> Notification | None:
        return self.session.scalars(sa.select(Notification).filter_by(id=id)).one_or_none()

    def count_failed_since(self, since: datetime) -> int:
        c = notifications.c
        statement = sa.select(sa.func.count()).where(
            c.status == Status.FAILED, c.created_at >= since
        )
        return int(self.session.scalar(statement) or 0)

    def get_many(self, ids: Sequence[uuid.UUID]) -> list[Notification]:
        if not ids:
            return []
        statement = sa.select(Notification).where(notifications.c.id.in_(list(ids)))
        return list(self.session.scalars(statement))

    def claim_due(self, now: datetime, limit: int) -> list[Notification]:
        # SKIP LOCKED lets several workers take disjoint batches (PostgreSQL; SQLite has a
        # single writer and ignores it).
        column = notifications.c.next_attempt_at
        statement = (
            sa.select(Notification)
            .filter_by(status=Status.QUEUED)
            .where(column <= now)
            .order_by(column)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(self.session.scalars(statement))

    def page(
        self,
        *,
        user_id: uuid.UUID | None,
        event_id: uuid.UUID | None,
        limit: int,
        cursor: str | None,
        recipient: str | None = None,
    ) -> Page[Notification]:
        c = notifications.c
        statement = (
            sa.select(Notification).order_by(c.created_at.desc(), c.id.desc()).limit(limit + 1)
        )
        if user_id is not None:
            statement = statement.filter_by(user_id=user_id)
        if event_id is not None:
            statement = statement.filter_by(event_id=event_id)
        if recipient is not None:
            statement = statement.filter_by(recipient=recipient)
        if cursor:
            start = after(cursor)
            # a row-value comparison the (…, created_at, id) indexes answer with one range
            # seek; the equivalent OR made PostgreSQL and SQLite scan (bench/console)
            newer = sa.tuple_(c.created_at, c.id)
            statement = statement.where(newer < sa.tuple_(start.created_at, start.id))
        return page_of(list(self.session.scalars(statement)), limit, position)


class SqlAlchemyDeviceRepository(ports.DeviceRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, device: Device) -> None:
        self.session.add(device)

    def get(self, device_id: uuid.UUID) -> Device | None:
        statement = sa.select(Device).filter_by(id=device_id)
        return self.session.scalars(statement.execution_options(include_deleted=True)).first()

    def by_token(self, token: str) -> Device | None:
        statement = sa.select(Device).filter_by(token=token).execution_options(include_deleted=True)
        return self.session.scalars(statement).one_or_none()

    def active_for_user(self, user_id: uuid.UUID) -> list[Device]:
        statement = sa.select(Device).filter_by(user_id=user_id, active=True)
        return list(self.session.scalars(statement))


class SqlAlchemyPreferencesRepository(ports.PreferencesRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, preferences: Preferences) -> None:
        self.session.add(preferences)

    def get(self, user_id: uuid.UUID) -> Preferences | None:
        statement = sa.select(Preferences).filter_by(user_id=user_id)
        return self.session.scalars(statement).one_or_none()


class SqlAlchemyContactRepository(ports.ContactRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, contact: Contact) -> None:
        self.session.add(contact)

    def get(self, user_id: uuid.UUID) -> Contact | None:
        return self.session.scalars(sa.select(Contact).filter_by(user_id=user_id)).one_or_none()

    def registered_between(self, start: datetime, end: datetime) -> int:
        registered = contacts.c.registered_at
        statement = sa.select(sa.func.count()).where(registered >= start, registered < end)
        return int(self.session.scalar(statement) or 0)

    def user_ids_after(self, after: uuid.UUID | None, limit: int) -> list[uuid.UUID]:
        column = contacts.c.user_id
        statement = sa.select(column).order_by(column).limit(limit)
        if after is not None:
            statement = statement.where(column > after)
        return list(self.session.scalars(statement))


class SqlAlchemyPersonalData(ports.PersonalData):
    def __init__(self, session: Session) -> None:
        self.session = session

    def forget_user(self, user_id: uuid.UUID) -> None:
        for table in (devices, preferences, contacts):
            statement = sa.delete(table).where(table.c.user_id == user_id)
            self.session.execute(statement.execution_options(synchronize_session=False))

    def log_about(self, user_id: uuid.UUID, addresses: Collection[str]) -> list[Notification]:
        about = notifications.c.user_id == user_id
        if addresses:
            about = sa.or_(about, notifications.c.recipient.in_(list(addresses)))
        return list(self.session.scalars(sa.select(Notification).where(about)))


class SqlAlchemyInbox(ports.Inbox):
    def __init__(self, session: Session) -> None:
        self.session = session

    def first_time(self, event_id: uuid.UUID) -> bool:
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(inbox).values(event_id=event_id, handled_at=datetime.now(UTC))
        # RETURNING rather than rowcount: psycopg reports -1 for this statement
        returned = statement.on_conflict_do_nothing().returning(inbox.c.event_id)
        return self.session.execute(returned).first() is not None
