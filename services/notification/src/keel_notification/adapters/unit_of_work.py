"""The unit of work over the notification database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Self

from sqlalchemy.orm import Session

from keel_common.db import SqlAlchemyUnitOfWork as BaseUnitOfWork
from keel_notification.adapters import orm, repositories
from keel_notification.service_layer import ports


class SqlAlchemyUnitOfWork(BaseUnitOfWork, ports.UnitOfWork):
    """keel_common's unit of work with this service's repositories on its session.

    Its only events are erasure reports (issue #14), staged in its outbox.
    """

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        super().__init__(session_factory, source="keel-notification", outbox=orm.outbox)

    def __enter__(self) -> Self:
        super().__enter__()
        self.notifications = repositories.SqlAlchemyNotificationRepository(self.session)
        self.devices = repositories.SqlAlchemyDeviceRepository(self.session)
        self.preferences = repositories.SqlAlchemyPreferencesRepository(self.session)
        self.contacts = repositories.SqlAlchemyContactRepository(self.session)
        self.inbox = repositories.SqlAlchemyInbox(self.session)
        self.personal_data = repositories.SqlAlchemyPersonalData(self.session)
        return self
