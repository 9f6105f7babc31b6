"""Search's consumer of account erasures (issue #14): ``search.erasure`` carries
``auth.user.erasure_requested.v1``; the use case reports back with ``search.user.erased.v1``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from keel_common.messaging import Envelope, InvalidMessage
from keel_events import Event
from keel_events.auth import AccountErasureRequested
from keel_search.service_layer import privacy

if TYPE_CHECKING:
    from keel_common.service import EventHandler
    from keel_search.bootstrap import Search

log = logging.getLogger(__name__)


def erasure_handler(search: Search) -> EventHandler:
    def handle(event: Event, envelope: Envelope) -> None:
        if not isinstance(event, AccountErasureRequested):
            raise InvalidMessage(f"search.erasure does not take {type(event).__name__}")
        removed = privacy.erase_user(search.index, search.uow(), event.user_id, search.clock)
        log.info("user erased", extra={"products_removed": removed})

    return handle
