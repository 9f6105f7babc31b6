"""One trace id from the client's ``traceparent`` to every process the request touches.

Each process logs JSON lines with a ``trace_id`` field; the harness keeps them in
``workdir/logs/<svc>-<kind>.log``. The test sends a W3C ``traceparent`` of its own and looks
for that trace id downstream: across HTTP (gateway -> core), AMQP (the outbox relay -> the
notification and search consumers) and gRPC (core -> auth).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from functools import partial

from keel_common.testing import written_lines
from keel_protos.core.v1 import core_pb2, core_pb2_grpc

from .client import TIMEOUT, User, create_product, eventually, place_order
from .platform import Platform


def new_traceparent() -> tuple[str, str]:
    """A fresh (trace id, traceparent header) pair, as a tracing client would send."""
    trace_id = secrets.token_hex(16)
    return trace_id, f"00-{trace_id}-{secrets.token_hex(8)}-01"


def logged_trace(platform: Platform, process: str, trace_id: str) -> bool:
    return any(r.get("trace_id") == trace_id for r in platform.log_records(process))


def wait_for_trace(platform: Platform, processes: list[str], trace_id: str) -> None:
    for process in processes:
        eventually(
            partial(logged_trace, platform, process, trace_id),
            f"a log line of {process} with trace_id {trace_id}",
        )


def gateway_saw(platform: Platform, traceparent: str) -> bool:
    lines = written_lines(platform.gateway_dir / "logs" / "access.log")
    return any(json.loads(line).get("traceparent") == traceparent for line in lines)


def test_a_placed_order_keeps_its_trace_through_the_broker(
    platform: Platform, new_user: Callable[[str], User]
) -> None:
    seller, buyer = new_user("Trace Seller"), new_user("Trace Buyer")
    product_trace, product_header = new_traceparent()
    product = create_product(
        platform.base_url, seller, "Traced lamp", headers={"traceparent": product_header}
    )
    order_trace, order_header = new_traceparent()
    place_order(platform.base_url, buyer, product["id"], 1, headers={"traceparent": order_header})

    # nginx writes its access line when it finalizes the request, which can be just after
    # the client has the response: poll for it.
    eventually(lambda: gateway_saw(platform, order_header) or None, "the gateway's log line")
    # core.product.created.v1 -> search; core.order.placed.v1 -> notification.
    wait_for_trace(platform, ["core-web", "search-worker"], product_trace)
    wait_for_trace(platform, ["core-web", "notification-worker"], order_trace)


def test_a_grpc_call_keeps_its_trace_into_the_service_it_calls(
    platform: Platform, new_user: Callable[[str], User]
) -> None:
    seller, buyer = new_user("Grpc Seller"), new_user("Grpc Buyer")
    product = create_product(platform.base_url, seller, "Lamp for gRPC")
    order = place_order(platform.base_url, buyer, product["id"], 1)
    trace_id, header = new_traceparent()

    with platform.grpc_channel("core") as channel:
        stub = core_pb2_grpc.CatalogServiceStub(channel)
        stub.GetOrder(
            core_pb2.GetOrderRequest(id=order["id"]),
            timeout=TIMEOUT,
            metadata=(("traceparent", header),),
        )

    # core's GetOrder asks auth's GetUsers for the buyer, within the same trace.
    wait_for_trace(platform, ["core-grpc", "auth-grpc"], trace_id)
