"""Core's own consumer and job for images (see ``DECLARATION`` in bootstrap.py).

``core.images`` carries ``core.product_image.uploaded.v1``: the seller completed an upload,
and the worker checks and processes the bytes. The job sweeps uploads nobody completed.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from keel_common.messaging import Envelope, InvalidMessage
from keel_core.service_layer import images
from keel_events import Event
from keel_events.core import ProductImageUploaded

if TYPE_CHECKING:
    from keel_common.service import EventHandler
    from keel_core.bootstrap import Core

log = logging.getLogger(__name__)


def uploaded_images_handler(service: Core) -> EventHandler:
    def handle(event: Event, envelope: Envelope) -> None:
        if not isinstance(event, ProductImageUploaded):
            raise InvalidMessage(f"core.images does not take {type(event).__name__}")
        images.process_uploaded_image(
            service.uow(), service.media, service.image_processor, event, service.clock
        )

    return handle


def sweep_abandoned_uploads(service: Core) -> None:
    swept = images.sweep_abandoned_uploads(service.uow(), service.media, service.clock)
    log.info("abandoned uploads swept", extra={"images": swept})
