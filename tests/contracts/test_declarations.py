"""The platform's declarations agree with each other and with the event contracts: whatever
a service consumes, the contract's producer publishes; whatever is published has a contract.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from importlib import metadata
from typing import Any

import pytest

from keel_auth.bootstrap import DECLARATION as AUTH
from keel_common.messaging.topology import ENTRY_POINT_GROUP, platform_queues
from keel_common.service import ServiceDeclaration, Subscription
from keel_events import Event, event_classes
from keel_events.auth import SessionRevoked, UserRegistered, UserRolesChanged
from keel_notification.bootstrap import DECLARATION as NOTIFICATION

Declarations = Sequence[ServiceDeclaration[Any]]


def platform() -> list[ServiceDeclaration[Any]]:
    """The declarations the ``keel.services`` entry points register (what the topology reads)."""
    entry_points = sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)
    return [entry_point.load() for entry_point in entry_points]


def contract_problems(declarations: Declarations) -> list[str]:
    """Everything wrong between ``declarations`` and the contracts in ``keel_events``."""
    contracts = event_classes()
    by_name = {d.name: d for d in declarations}
    publishers = Counter(event.type for d in declarations for event in d.publishes)
    problems = []
    for declaration in declarations:
        for event in declaration.publishes:
            if contracts.get(event.type) is not event:
                problems.append(f"{declaration.name} publishes {event.type}, which has no contract")
        for subscription in declaration.consumes:
            for event in subscription.events:
                problems += _consumption_problems(declaration.name, event, by_name, publishers)
    for event_type, count in publishers.items():
        if count > 1:
            problems.append(f"{event_type} is published by {count} services")
    queues = Counter(s.queue for d in declarations for s in d.consumes)
    problems += [f"the queue {q} is declared {n} times" for q, n in queues.items() if n > 1]
    return problems


def _consumption_problems(
    consumer: str,
    event: type[Event],
    by_name: dict[str, ServiceDeclaration[Any]],
    publishers: Counter[str],
) -> list[str]:
    if event_classes().get(event.type) is not event:
        return [f"{consumer} consumes {event.type}, which has no contract"]
    producer = by_name.get(event.producer)
    if producer is None:
        return [f"{consumer} consumes {event.type} of {event.producer}, which is no service"]
    if event.type not in producer.published_types:
        return [f"{consumer} consumes {event.type}, which {event.producer} does not publish"]
    if publishers[event.type] != 1:
        return [f"{consumer} consumes {event.type}, published {publishers[event.type]} times"]
    return []


def unpublished_contracts(declarations: Declarations) -> list[str]:
    """Contracts no declaration publishes (dead, or a producer that forgot to declare)."""
    published = {t for d in declarations for t in d.published_types}
    return sorted(set(event_classes()) - published)


def test_the_platform_is_the_four_services() -> None:
    assert [d.name for d in platform()] == ["auth", "core", "notification", "search"]


def test_every_consumed_event_is_published_by_its_producer_and_has_a_contract() -> None:
    assert contract_problems(platform()) == []


def test_every_contract_is_published_by_the_service_it_names() -> None:
    assert unpublished_contracts(platform()) == []


def test_the_platform_consumes_events_of_every_publisher() -> None:
    """Guards the checks above against passing on an empty platform."""
    consumed = {e.producer for d in platform() for s in d.consumes for e in s.events}
    assert consumed == {"auth", "core", "notification", "search"}


def _consuming(name: str, *events: type[Event], queue: str = "bogus.events") -> Any:
    subscription = Subscription[Any](queue=queue, events=events, handler=lambda _: _never)
    return ServiceDeclaration[Any](name=name, bootstrap=lambda: None, consumes=(subscription,))


def _never(event: Event, envelope: Any) -> None:
    raise AssertionError("never called")


def _phantom() -> type[Event]:
    """A contract class nobody registered (its type is set after the class is made, so the
    registry of ``keel_events`` never sees it)."""

    class Phantom(Event):
        producer = "auth"

    Phantom.type = "auth.user.teleported.v1"
    return Phantom


def test_a_consumed_type_nobody_publishes_is_reported() -> None:
    auth_without_roles = dataclasses.replace(
        AUTH, publishes=tuple(e for e in AUTH.publishes if e is not UserRolesChanged)
    )
    others = [d for d in platform() if d.name != "auth"]
    bogus = _consuming("bogus", UserRolesChanged)

    problems = contract_problems([auth_without_roles, *others, bogus])

    assert "bogus consumes auth.user.roles_changed.v1, which auth does not publish" in problems


def test_a_consumed_type_without_a_contract_is_reported() -> None:
    problems = contract_problems([*platform(), _consuming("bogus", _phantom())])

    assert "bogus consumes auth.user.teleported.v1, which has no contract" in problems


def test_a_published_type_without_a_contract_is_reported() -> None:
    auth = dataclasses.replace(AUTH, publishes=(*AUTH.publishes, _phantom()))
    others = [d for d in platform() if d.name != "auth"]

    problems = contract_problems([auth, *others])

    assert "auth publishes auth.user.teleported.v1, which has no contract" in problems


def test_a_consumed_type_whose_producer_is_missing_is_reported() -> None:
    without_auth = [d for d in platform() if d.name != "auth"]

    problems = contract_problems([*without_auth, _consuming("bogus", SessionRevoked)])

    assert "bogus consumes auth.session.revoked.v1 of auth, which is no service" in problems


def test_a_type_published_twice_is_reported() -> None:
    twin = dataclasses.replace(AUTH, consumes=())
    others = [d for d in platform() if d.name != "auth"]

    problems = contract_problems([AUTH, twin, *others])

    assert "auth.user.registered.v1 is published by 2 services" in problems
    assert "notification consumes auth.user.registered.v1, published 2 times" in problems


def test_a_contract_nobody_publishes_is_reported() -> None:
    without_auth = [d for d in platform() if d.name != "auth"]

    assert UserRegistered.type in unpublished_contracts(without_auth)


def test_queue_names_are_unique_across_the_platform() -> None:
    queues = [s.queue for d in platform() for s in d.consumes]

    assert queues and len(queues) == len(set(queues))


def test_a_queue_declared_twice_is_reported() -> None:
    taken = NOTIFICATION.consumes[0]
    bogus = _consuming("bogus", SessionRevoked, queue=taken.queue)

    problems = contract_problems([*platform(), bogus])

    assert f"the queue {taken.queue} is declared 2 times" in problems


def test_the_platform_topology_is_the_union_of_the_declared_queues() -> None:
    declared = {spec.name: spec for d in platform() for spec in d.queues}

    assert {spec.name: spec for spec in platform_queues()} == declared
    assert [spec.name for spec in platform_queues()] == sorted(declared)


@pytest.mark.parametrize("declaration", platform(), ids=lambda d: d.name)
def test_each_queue_is_bound_to_exactly_the_types_its_subscription_takes(
    declaration: ServiceDeclaration[Any],
) -> None:
    for subscription, spec in zip(declaration.consumes, declaration.queues, strict=True):
        assert spec.name == subscription.queue
        assert set(spec.routing_keys) == {event.type for event in subscription.events}
