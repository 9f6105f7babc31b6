"""Sending queued messages and recording what happened.

Sending happens outside any transaction (providers can be slow); the outcome is recorded
afterwards in one short transaction per batch. Transient failures are retried with
exponential backoff, permanent ones are not, and a message that used its last attempt is
dead-lettered: ``failed`` with ``dead_lettered_at`` set, kept for support to inspect.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from keel_common.clock import Clock
from keel_notification.domain.errors import (
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
    UnregisteredDevice,
)
from keel_notification.domain.messages import Message, Receipt, message_for
from keel_notification.domain.model import Notification, Status
from keel_notification.domain.policy import RetryPolicy
from keel_notification.service_layer.ports import Sender, UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """The result of one send: a receipt, or the error the provider chain ended with."""

    notification_id: uuid.UUID
    receipt: Receipt | None = None
    error: DeliveryError | None = None


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    dead_lettered: int = 0
    # Settled messages by (channel, "sent" | "failed"): the notification failure-rate alert.
    settled: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.retried += other.retried
        self.dead_lettered += other.dead_lettered
        self.settled.update(other.settled)


def send_all(messages: Sequence[Message], sender: Sender) -> list[Outcome]:
    """Send each message; never raises, so one bad message cannot stop a batch."""
    outcomes: list[Outcome] = []
    for message in messages:
        try:
            outcomes.append(Outcome(message.id, receipt=sender.send(message)))
        except DeliveryError as exc:
            outcomes.append(Outcome(message.id, error=exc))
        except Exception as exc:
            # A bug in an adapter must not lose the message: retry it like a provider outage.
            log.exception("provider raised", extra={"notification_id": str(message.id)})
            outcomes.append(Outcome(message.id, error=TransientDeliveryError(repr(exc))))
    return outcomes


def record_outcomes(
    uow: UnitOfWork, outcomes: Sequence[Outcome], *, policy: RetryPolicy, now: datetime
) -> DeliveryReport:
    report = DeliveryReport()
    with uow:
        found = uow.notifications.get_many([o.notification_id for o in outcomes])
        by_id = {n.id: n for n in found}
        for outcome in outcomes:
            _record(uow, by_id.get(outcome.notification_id), outcome, policy, now, report)
        uow.commit()
    return report


def _record(
    uow: UnitOfWork,
    n: Notification | None,
    outcome: Outcome,
    policy: RetryPolicy,
    now: datetime,
    report: DeliveryReport,
) -> None:
    if n is None or n.status is not Status.QUEUED:
        return  # settled meanwhile by a worker that took over an expired claim
    error = outcome.error
    if outcome.receipt is not None:
        n.mark_sent(outcome.receipt.provider, outcome.receipt.message_id, now)
        report.sent += 1
        report.settled[(str(n.channel), "sent")] += 1
    elif isinstance(error, PermanentDeliveryError):
        n.fail(str(error))
        report.failed += 1
        report.settled[(str(n.channel), "failed")] += 1
        if isinstance(error, UnregisteredDevice) and (device := uow.devices.by_token(n.recipient)):
            device.deactivate()
    else:
        retry_after = error.retry_after if isinstance(error, TransientDeliveryError) else None
        attempt = n.attempts + 1
        if policy.is_last(attempt):
            n.dead_letter(str(error), now)
            report.dead_lettered += 1
            report.settled[(str(n.channel), "failed")] += 1
            log.error(
                "message dead-lettered",
                extra={"notification_id": str(n.id), "attempts": attempt, "error": str(error)},
            )
        else:
            n.retry_later(str(error), now + policy.delay(attempt, retry_after))
            report.retried += 1


def deliver(
    uow: UnitOfWork,
    messages: Sequence[Message],
    *,
    sender: Sender,
    policy: RetryPolicy,
    clock: Clock,
) -> DeliveryReport:
    """Send messages already claimed by the caller and record the outcomes."""
    if not messages:
        return DeliveryReport()
    outcomes = send_all(messages, sender)
    return record_outcomes(uow, outcomes, policy=policy, now=clock())


def claim_due(
    uow: UnitOfWork, *, policy: RetryPolicy, now: datetime, limit: int = 100
) -> list[Message]:
    """Take up to ``limit`` due messages and claim them for ``policy.lease``."""
    with uow:
        due = uow.notifications.claim_due(now, limit)
        for n in due:
            n.claim(now + policy.lease)
        messages = [message_for(n) for n in due]
        uow.commit()
    return messages


def dispatch_due(
    uow: UnitOfWork,
    *,
    sender: Sender,
    policy: RetryPolicy,
    clock: Clock,
    limit: int = 100,
) -> DeliveryReport:
    """One round of the dispatcher: retries, held messages and direct sends that are due."""
    messages = claim_due(uow, policy=policy, now=clock(), limit=limit)
    return deliver(uow, messages, sender=sender, policy=policy, clock=clock)
