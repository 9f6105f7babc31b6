"""Dead letters of notification's queues for staff: counts, the messages, replay and discard, each
action written to notification's audit trail (keel_common.dead_letters)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TypeVar

from keel_common import dead_letters
from keel_common.audit import AuditTrail
from keel_common.auth.principal import Principal
from keel_common.clock import Clock
from keel_common.messaging.port import Broker
from keel_common.messaging.topology import QueueSpec
from keel_notification.domain.errors import Forbidden

Q = TypeVar("Q")


def dead_letter_counts(
    count: Callable[[Q], int],
    queues: Sequence[Q],
    *,
    caller: Principal,
    mfa_roles: Collection[str],
) -> list[tuple[Q, int]]:
    return dead_letters.dead_letter_counts(
        count, queues, caller=caller, mfa_roles=mfa_roles, forbidden=Forbidden
    )


def desk(
    broker: Broker,
    queues: Sequence[QueueSpec],
    audit: AuditTrail | None,
    clock: Clock,
    *,
    mfa_roles: Collection[str],
) -> dead_letters.DeadLetterDesk:
    """The desk over this service's queues; staff only, every action audited."""
    if audit is None:
        raise RuntimeError("notification was built without an audit trail")
    refusals = dead_letters.Refusals(forbidden=Forbidden)
    return dead_letters.DeadLetterDesk(broker, queues, audit, refusals, mfa_roles, clock)
