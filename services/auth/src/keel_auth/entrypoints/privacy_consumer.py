"""Auth's worker side of an account erasure: its own part (on ``AccountErasureRequested``)
and the other services' completion reports, in one queue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from keel_auth.service_layer import privacy
from keel_common.messaging import Envelope, InvalidMessage
from keel_events import Event
from keel_events.auth import AccountErasureRequested
from keel_events.privacy import UserErasedReport

if TYPE_CHECKING:
    from keel_auth.bootstrap import Auth
    from keel_common.service import EventHandler


def erasure_events_handler(auth: Auth) -> EventHandler:
    def handle(event: Event, envelope: Envelope) -> None:
        if isinstance(event, AccountErasureRequested):
            privacy.erase_auth_data(event.user_id, auth.uow(), auth.clock)
        elif isinstance(event, UserErasedReport):
            privacy.record_erasure_report(
                event.service, event.user_id, event.erased_at, auth.uow(), auth.clock
            )
        else:
            raise InvalidMessage(f"auth.erasure does not take {type(event).__name__}")

    return handle
