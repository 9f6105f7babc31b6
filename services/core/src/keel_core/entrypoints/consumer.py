"""``keel-core worker``: the outbox relay.

Core consumes no other service's events today (``keel_common.messaging.topology`` declares
no queue for it), so its worker only publishes what the web and gRPC processes staged.
"""

from __future__ import annotations

import threading

from keel_core.bootstrap import outbox_relay
from keel_core.config import CoreSettings


def run_worker(settings: CoreSettings, stop: threading.Event) -> None:
    relay = outbox_relay(settings)
    try:
        relay.run(stop)
    finally:
        relay.broker.close()
        relay.engine.dispose()
