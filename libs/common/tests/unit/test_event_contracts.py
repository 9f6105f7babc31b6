"""keel_events: one typed contract per event type, guarded against breaking changes."""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar
from uuid import uuid4

import pytest

from keel_events import Event, event_class, event_classes
from keel_events.core import OrderLine, OrderPlaced

ROOT = Path(__file__).resolve().parents[4]


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("keel_events_script", ROOT / "scripts/events.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


events = _load_script()


def _locked() -> dict[str, Any]:
    return json.loads(events.LOCK.read_text())


def test_the_lock_file_matches_the_contracts() -> None:
    assert events.current_schemas() == _locked()


def test_every_type_is_versioned_and_owned_by_the_service_it_names() -> None:
    for event_type, cls in event_classes().items():
        service, *_, version = event_type.split(".")
        assert version.startswith("v") and version[1:].isdigit(), event_type
        assert cls.producer == service, event_type
        assert event_class(event_type) is cls


def test_two_contracts_for_one_type_are_refused() -> None:
    with pytest.raises(TypeError, match="two contracts"):

        class Again(Event):
            type: ClassVar[str] = "core.order.placed.v1"


def test_data_round_trips_and_times_are_rfc3339_with_z() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 12, 5, 8, 30, tzinfo=UTC)
    order = OrderPlaced(
        id=uuid4(),
        buyer_id=uuid4(),
        status="placed",
        items=(OrderLine(product_id=uuid4(), title="Lamp", quantity=2, unit_price_cents=1250),),
        total_cents=2500,
        currency="EUR",
        created_at=now,
        updated_at=now,
    )
    data = order.to_data()
    assert data["created_at"] == "2026-12-05T08:30:00Z"
    assert data["items"][0]["quantity"] == 2
    assert OrderPlaced.from_data(json.loads(json.dumps(data))) == order
    assert order.subject == str(order.id)


def test_a_removed_field_a_changed_type_and_a_new_required_field_break() -> None:
    old = _locked()
    new = copy.deepcopy(old)
    placed = new["core.order.placed.v1"]["schema"]
    del placed["properties"]["currency"]
    placed["properties"]["total_cents"] = {"type": "string"}
    placed["properties"]["coupon"] = {"type": "string"}
    placed["required"].append("coupon")
    del new["auth.password.changed.v1"]

    problems = events.breaking_changes(old, new)

    assert "core.order.placed.v1.currency removed" in problems
    assert "core.order.placed.v1.total_cents changed its type" in problems
    assert "core.order.placed.v1.coupon is a new required field" in problems
    assert any(p.startswith("auth.password.changed.v1 removed") for p in problems)


def test_an_optional_field_and_a_new_type_are_compatible() -> None:
    old = _locked()
    new = copy.deepcopy(old)
    new["core.order.placed.v1"]["schema"]["properties"]["note"] = {"type": "string"}
    new["core.order.placed.v2"] = copy.deepcopy(new["core.order.placed.v1"])

    assert events.breaking_changes(old, new) == []
