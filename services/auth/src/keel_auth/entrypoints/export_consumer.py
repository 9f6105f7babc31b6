"""Auth's worker side of a data export: assemble the document on ``UserExportRequested``.
A service that does not answer raises ``ExportSourceUnavailable``: the message is retried."""

from __future__ import annotations

from typing import TYPE_CHECKING

from keel_auth.service_layer import export
from keel_common.messaging import Envelope, InvalidMessage
from keel_events import Event
from keel_events.auth import UserExportRequested

if TYPE_CHECKING:
    from keel_auth.bootstrap import Auth
    from keel_common.service import EventHandler


def export_events_handler(auth: Auth) -> EventHandler:
    def handle(event: Event, envelope: Envelope) -> None:
        if not isinstance(event, UserExportRequested):
            raise InvalidMessage(f"auth.export does not take {type(event).__name__}")
        export.assemble_export(event, auth.uow(), auth.export_sources, auth.clock)

    return handle
