"""Fixtures shared by the unit tests of keel_common."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from keel_common.errors import init_sentry

DSN = "https://public@sentry.example.invalid/1"


class FakeTransport(Transport):
    """Keeps the events instead of sending them."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict[str, Any]] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.events.extend(item.payload.json for item in envelope.items if item.type == "event")


@pytest.fixture
def transport() -> Iterator[FakeTransport]:
    """Sentry initialised for service ``toy`` as ``init_sentry`` does, its events kept."""
    fake = FakeTransport()
    # No default integrations: they patch process-wide hooks the other tests don't expect.
    assert init_sentry(DSN, "toy", "test", transport=fake, default_integrations=False)
    yield fake
    sentry_sdk.get_global_scope().set_client(None)
