"""RabbitMQ stops while clients keep ordering; once it is back, every event still arrives.

The whole platform is under test here, not one relay: core's web process must keep taking
orders (their events wait in its outbox table), core's worker must keep retrying, and the
notification and search consumers must reconnect by themselves.

Stops the shared RabbitMQ (``rabbitmqctl stop_app``), hence ``serial``: it runs alone after
the parallel pass, and RabbitMQ is started again whatever happens.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

import pytest
import requests

from keel_common.testing.plugin import require

from .client import TIMEOUT, User, create_product, eventually, place_order, read_emails
from .platform import Platform

pytestmark = pytest.mark.serial

ORDERS_DURING_OUTAGE = 3


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=120)


@contextmanager
def rabbitmq_stopped() -> Iterator[None]:
    _rabbitmqctl("stop_app")
    try:
        yield
    finally:
        _rabbitmqctl("start_app")
        _rabbitmqctl("await_startup")


def relay_retries(platform: Platform) -> int:
    """How often core's outbox relay found no broker so far (it logs each retry)."""
    return sum(
        "broker unavailable" in str(record.get("message"))
        for record in platform.log_records("core-worker")
    )


def search_finds(platform: Platform, word: str) -> list[str]:
    response = requests.get(
        f"{platform.base_url}/v1/search/products", params={"q": word}, timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text
    return [hit["id"] for hit in response.json()["hits"]]


def receipt_sent(platform: Platform, order_id: str) -> bool:
    return any(order_id in str(m["Subject"]) for m in read_emails(platform.outbox_dir))


def test_events_of_orders_placed_while_rabbitmq_is_down_all_arrive_once_it_is_back(
    platform: Platform, new_user: Callable[[str], User]
) -> None:
    require(shutil.which("rabbitmqctl") is not None, "rabbitmqctl is not installed")
    seller, buyer = new_user("Outage Seller"), new_user("Outage Buyer")
    word = "lantern" + secrets.token_hex(3)
    lantern = create_product(platform.base_url, seller, f"{word} for dark times")
    eventually(lambda: search_finds(platform, word), "the first product in search")

    retries_before = relay_retries(platform)
    with rabbitmq_stopped():
        # The API keeps working: the events wait in core's outbox table.
        candle = create_product(platform.base_url, seller, f"{word} candle")
        orders = [
            place_order(platform.base_url, buyer, lantern["id"], 1)
            for _ in range(ORDERS_DURING_OUTAGE)
        ]
        # Keep RabbitMQ down until the relay has really failed to publish at least once.
        eventually(lambda: relay_retries(platform) > retries_before, "core's relay retrying")

    for order in orders:
        eventually(
            partial(receipt_sent, platform, order["id"]),
            f"the receipt of order {order['id']}, placed while RabbitMQ was down",
            timeout=180,
        )
    eventually(
        lambda: candle["id"] in search_finds(platform, word),
        "the product created while RabbitMQ was down, in search",
        timeout=180,
    )
