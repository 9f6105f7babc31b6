"""The dead-letter desk every consuming service exposes under ``/v1/admin/<svc>/dead-letters``:
counts per queue, the messages of one queue, replay and discard, and the audit trail of those.

Mechanism only: each service's service layer builds a ``DeadLetterDesk`` with its broker, its
declared queues, its audit trail and its own domain errors, so authorization (staff and admins)
and auditing happen in that service's service layer like every other use case.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from keel_common.audit import AuditRecord, AuditTrail, MissingReason, check_reason
from keel_common.auth.principal import Principal
from keel_common.clock import Clock, utcnow
from keel_common.logging import redact
from keel_common.messaging.dead_queue import DeadLetter
from keel_common.messaging.port import Broker
from keel_common.messaging.topology import QueueSpec
from keel_common.pagination import Page
from keel_common.second_factor import require_principal_second_factor

ADMIN_ROLE = "admin"
STAFF_ROLES = frozenset({"staff", ADMIN_ROLE})
REPLAYED = "dead_letter.replayed"
DISCARDED = "dead_letter.discarded"
MAX_LISTED = 100


class DeadLetterNotFound(LookupError):
    """No such consumer queue in this service, or no such message in its dead queue."""


class InvalidAction(ValueError):
    """An action the desk refuses as sent (a missing reason): ``field`` says which part."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field} {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Refusals:
    """The service's own domain errors: ``forbidden`` for a caller who is not staff; the
    other two default to this module's errors, which ``keel_common.http.dead_letters`` maps."""

    forbidden: Callable[[str], Exception]
    not_found: Callable[[str], Exception] = DeadLetterNotFound
    invalid: Callable[[str, str], Exception] = InvalidAction


@dataclass(frozen=True)
class ShownLetter:
    """A dead letter as support sees it: the envelope's fields, its data redacted as a log
    line would be (no OTP code, token or password), the error and when."""

    message_id: str
    type: str
    source: str
    time: str
    subject: str | None
    data: Any
    error: str
    dead_lettered_at: datetime | None


def shown(letter: DeadLetter) -> ShownLetter:
    try:
        envelope = json.loads(letter.body)
    except ValueError:
        envelope = None
    if not isinstance(envelope, dict):
        envelope = {"data": "(not an envelope)"}
    return ShownLetter(
        message_id=letter.message_id,
        type=letter.type,
        source=str(envelope.get("source", "")),
        time=str(envelope.get("time", "")),
        subject=envelope.get("subject"),
        data=redact(envelope.get("data")),
        error=letter.error,
        dead_lettered_at=letter.dead_lettered_at,
    )


@dataclass
class DeadLetterDesk:
    broker: Broker
    queues: Sequence[QueueSpec]
    audit: AuditTrail
    refusals: Refusals
    # REQUIRE_MFA_FOR_ROLES: holders of these roles act here only with a second factor.
    mfa_roles: Collection[str]
    clock: Clock = utcnow

    def _staff(self, caller: Principal) -> None:
        if not STAFF_ROLES & set(caller.roles):
            raise self.refusals.forbidden("dead letters are for staff and admins")
        require_principal_second_factor(caller, self.mfa_roles)

    def _queue(self, name: str) -> QueueSpec:
        for spec in self.queues:
            if spec.name == name:
                return spec
        raise self.refusals.not_found(f"no consumer queue named {name!r} here")

    def counts(self, caller: Principal) -> list[tuple[QueueSpec, int]]:
        self._staff(caller)
        return [(spec, self.broker.dead_letter_count(spec)) for spec in self.queues]

    def letters(
        self, caller: Principal, queue: str, limit: int = MAX_LISTED
    ) -> tuple[QueueSpec, int, list[ShownLetter]]:
        """The queue, its dead-letter count and its first ``limit`` messages (left there)."""
        self._staff(caller)
        spec = self._queue(queue)
        letters = self.broker.dead_letters(spec, max(1, min(limit, MAX_LISTED)))
        return spec, self.broker.dead_letter_count(spec), [shown(d) for d in letters]

    def replay(self, caller: Principal, queue: str, message_id: str | None, reason: str) -> int:
        """Back to the queue, to be handled again from attempt 1; audited."""
        return self._act(REPLAYED, caller, queue, message_id, reason)

    def discard(self, caller: Principal, queue: str, message_id: str | None, reason: str) -> int:
        """Gone for good; audited (the record keeps the type and id, not the data)."""
        return self._act(DISCARDED, caller, queue, message_id, reason)

    def _act(
        self,
        action: str,
        caller: Principal,
        queue: str,
        message_id: str | None,
        reason: str,
    ) -> int:
        self._staff(caller)
        spec = self._queue(queue)
        try:
            why = check_reason(reason)
        except MissingReason as exc:
            raise self.refusals.invalid("reason", str(exc)) from exc
        carry_out = (
            self.broker.replay_dead_letters
            if action == REPLAYED
            else (self.broker.discard_dead_letters)
        )
        done = carry_out(spec, message_id)
        if message_id is not None and done == 0:
            raise self.refusals.not_found(f"no dead letter {message_id} in {queue}")
        target = f"{spec.dead_queue}/{message_id}" if message_id else spec.dead_queue
        self.audit.add(
            AuditRecord(
                action,
                str(caller.user_id),
                "dead_letter",
                target,
                why,
                self.clock(),
                {"queue": spec.name, "count": done},
            )
        )
        return done

    def trail(
        self,
        caller: Principal,
        *,
        actor_id: str | None,
        target_id: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[AuditRecord]:
        """The service's admin audit trail, newest first (staff)."""
        self._staff(caller)
        return self.audit.page(
            actor_id=actor_id, target_id=target_id, limit=max(1, min(limit, 100)), cursor=cursor
        )


def dead_letter_counts(
    count: Callable[[Any], int],
    queues: Sequence[Any],
    *,
    caller: Principal,
    mfa_roles: Collection[str],
    forbidden: Callable[[str], Exception],
) -> list[tuple[Any, int]]:
    """Each queue with ``count(queue)``, the messages in its dead-letter queue (the broker's
    ``dead_letter_count``). Staff and admins only: anyone else gets ``forbidden(reason)``
    raised, and one signed in without a second factor ``SecondFactorRequired`` when
    ``mfa_roles`` (REQUIRE_MFA_FOR_ROLES) name their role."""
    if not STAFF_ROLES & set(caller.roles):
        raise forbidden("dead letters are for staff and admins")
    require_principal_second_factor(caller, mfa_roles)
    return [(queue, count(queue)) for queue in queues]
