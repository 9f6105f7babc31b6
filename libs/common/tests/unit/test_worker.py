"""keel_common.worker and keel_common.service: a service declared once, run generically."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
import sqlalchemy as sa

from keel_common.discovery.static import StaticDiscovery
from keel_common.messaging import Envelope
from keel_common.messaging.fakes import FakeBroker
from keel_common.service import Outbox, Service, ServiceDeclaration, Subscription
from keel_common.worker import relay_for, run_worker
from keel_events import Event
from keel_events.auth import PasswordChanged, UserRegistered
from keel_events.core import OrderPlaced


@dataclass(kw_only=True, eq=False)
class Demo(Service[None]):
    seen: list[tuple[Event, str]]


def _service(broker: FakeBroker) -> Demo:
    return Demo(
        settings=None,  # type: ignore[arg-type]
        engine=sa.create_engine("sqlite://"),
        uow_factory=lambda: None,
        broker=broker,
        discovery=StaticDiscovery({}),
        seen=[],
    )


def _recording(service: Demo) -> Any:
    def handle(event: Event, envelope: Envelope) -> None:
        service.seen.append((event, envelope.id))

    return handle


SUBSCRIPTION: Subscription[Demo] = Subscription(
    "demo.events", (UserRegistered, PasswordChanged), _recording, max_attempts=1
)
DECLARATION = ServiceDeclaration(name="demo", bootstrap=_service, consumes=(SUBSCRIPTION,))


def _registered() -> UserRegistered:
    return UserRegistered(
        user_id=uuid4(),
        email="ada@example.com",
        name="Ada",
        verification_token="secret-token",
        verification_expires_at=datetime.now(UTC) + timedelta(hours=1),
    )


def _envelope(event_type: str, data: dict[str, Any]) -> Envelope:
    return Envelope.new(type=event_type, source="keel-auth", data=data)


def _run(broker: FakeBroker) -> Demo:
    service = _service(broker)
    stop = threading.Event()
    # FakeBroker.consume delivers what was published and returns: the worker then stops.
    run_worker(DECLARATION, service, stop)
    return service


def test_the_handler_gets_the_event_parsed_into_its_contract() -> None:
    broker = FakeBroker()
    event = _registered()
    broker.publish(_envelope(event.type, event.to_data()))

    service = _run(broker)

    [(received, _)] = service.seen
    assert isinstance(received, UserRegistered)
    assert received == event
    assert broker.closed  # the worker closes the service, and with it the broker


def test_an_event_that_does_not_fit_its_contract_is_dead_lettered_without_its_values() -> None:
    broker = FakeBroker()
    data = _registered().to_data()
    del data["email"]
    broker.publish(_envelope(UserRegistered.type, data))

    service = _run(broker)

    assert service.seen == []
    assert len(broker.dead["demo.events"]) == 1


def test_an_event_from_a_service_that_does_not_own_its_type_is_dead_lettered() -> None:
    broker = FakeBroker()
    event = _registered()
    forged = Envelope.new(type=event.type, source="keel-core", data=event.to_data())
    broker.publish(forged)

    service = _run(broker)

    assert service.seen == []
    [body] = broker.dead["demo.events"]
    assert Envelope.from_json(body).id == forged.id


def test_the_owner_source_is_keel_and_the_contract_producer() -> None:
    from keel_common.messaging import InvalidMessage
    from keel_common.worker import typed_handler

    seen: list[str] = []
    handler = typed_handler(SUBSCRIPTION, lambda event, envelope: seen.append(envelope.source))
    event = _registered()
    handler(Envelope.new(type=event.type, source="keel-auth", data=event.to_data()))
    with pytest.raises(InvalidMessage, match="published by keel-auth only"):
        handler(Envelope.new(type=event.type, source="auth", data=event.to_data()))

    assert seen == ["keel-auth"]


def test_a_type_the_queue_does_not_take_is_refused_as_invalid() -> None:
    from keel_common.messaging import InvalidMessage
    from keel_common.worker import typed_handler

    handler = typed_handler(SUBSCRIPTION, lambda event, envelope: None)
    with pytest.raises(InvalidMessage, match="does not take"):
        handler(_envelope("core.order.placed.v1", {}))


def test_the_contract_error_names_fields_never_values() -> None:
    from keel_common.messaging import InvalidMessage
    from keel_common.worker import typed_handler

    data = _registered().to_data() | {"verification_expires_at": "secret-token-value"}
    handler = typed_handler(SUBSCRIPTION, lambda event, envelope: None)
    with pytest.raises(InvalidMessage) as refused:
        handler(_envelope(UserRegistered.type, data))
    assert "verification_expires_at" in str(refused.value)
    assert "secret-token-value" not in str(refused.value)


def test_a_declaration_refuses_to_publish_another_services_events() -> None:
    with pytest.raises(ValueError, match="core"):
        ServiceDeclaration(
            name="auth", bootstrap=_service, publishes=(OrderPlaced,), outbox=Outbox()
        )


def test_a_publishing_service_must_declare_its_outbox() -> None:
    with pytest.raises(ValueError, match="outbox"):
        ServiceDeclaration(name="auth", bootstrap=_service, publishes=(UserRegistered,))


def test_the_relay_exists_only_for_a_service_with_an_outbox() -> None:
    service = _service(FakeBroker())
    assert relay_for(DECLARATION, service) is None
    service.outbox = sa.Table("outbox", sa.MetaData(), sa.Column("pk", sa.Integer))
    with_outbox = ServiceDeclaration(
        name="auth", bootstrap=_service, publishes=(UserRegistered,), outbox=Outbox()
    )
    assert relay_for(with_outbox, service) is not None


def test_declared_schedules_are_the_jobs_that_have_one() -> None:
    from keel_common.service import Job

    declaration = ServiceDeclaration(
        name="demo",
        bootstrap=_service,
        jobs={"nightly": Job(lambda s: None, "0 3 * * *"), "manual": Job(lambda s: None)},
    )
    assert declaration.schedules == {"nightly": "0 3 * * *"}
