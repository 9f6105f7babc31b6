"""Notification's consumer of account erasures (issue #14): ``notification.erasure`` carries
``auth.user.erasure_requested.v1``; the use case reports back with
``notification.user.erased.v1``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from keel_common.messaging import Envelope, InvalidMessage
from keel_events import Event
from keel_events.auth import AccountErasureRequested
from keel_notification.service_layer import privacy

if TYPE_CHECKING:
    from keel_common.service import EventHandler
    from keel_notification.bootstrap import Notifications

log = logging.getLogger(__name__)


def erasure_handler(service: Notifications) -> EventHandler:
    def handle(event: Event, envelope: Envelope) -> None:
        if not isinstance(event, AccountErasureRequested):
            raise InvalidMessage(f"notification.erasure does not take {type(event).__name__}")
        masked = privacy.erase_user(service.uow(), event.user_id, service.clock)
        log.info("user erased", extra={"log_entries_masked": masked})

    return handle
