"""Core's consumer of account erasures (issue #14): ``core.erasure`` carries
``auth.user.erasure_requested.v1``; the use case reports back with ``core.user.erased.v1``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from keel_common.messaging import Envelope, InvalidMessage
from keel_core.service_layer import privacy
from keel_events import Event
from keel_events.auth import AccountErasureRequested

if TYPE_CHECKING:
    from keel_common.service import EventHandler
    from keel_core.bootstrap import Core

log = logging.getLogger(__name__)


def erasure_handler(service: Core) -> EventHandler:
    def handle(event: Event, envelope: Envelope) -> None:
        if not isinstance(event, AccountErasureRequested):
            raise InvalidMessage(f"core.erasure does not take {type(event).__name__}")
        unlisted, pseudonymized = privacy.erase_user(
            service.uow(), service.media, event.user_id, service.clock
        )
        log.info("user erased", extra={"products": unlisted, "orders": pseudonymized})

    return handle
