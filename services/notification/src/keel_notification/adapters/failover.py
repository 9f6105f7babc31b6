"""Providers and the failover between them, with a circuit breaker per provider.

The service layer sees one ``Sender``; behind it, ``ChannelSenders`` routes each message to
its channel's ordered providers (``FailoverSender``), which are the ``Provider`` adapters
(SMTP, Twilio, APNs, FCM, files) built from the provider URLs (``channels.build_senders``).

Each channel has an ordered list of providers. A provider that keeps failing is skipped
(its breaker is open) until a cool-down has passed; then one trial message goes through it
and a success closes the breaker again. Meanwhile messages leave through the next provider.

The breaker is ours rather than pybreaker's: pybreaker holds its lock for the whole
protected call, which would serialize every send through a provider, and it reads the wall
clock directly, which leaves cool-downs untestable without sleeping.
"""

from __future__ import annotations

import abc
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

from keel_notification.domain.errors import PermanentDeliveryError, TransientDeliveryError
from keel_notification.domain.messages import (
    EmailMessage,
    Message,
    PushMessage,
    Receipt,
    SmsMessage,
)
from keel_notification.domain.model import Category, Platform
from keel_notification.service_layer.ports import Sender

log = logging.getLogger(__name__)

M = TypeVar("M", EmailMessage, SmsMessage, PushMessage)


class Provider(abc.ABC, Generic[M]):
    """A delivery provider for one channel (SMTP relay, APNs, FCM, an SMS API, ...).

    ``send`` returns the provider's id for the message, or raises
    ``TransientDeliveryError`` (retry later) / ``PermanentDeliveryError`` (never retry).
    Network errors must be turned into one of those two.
    """

    name: str

    @abc.abstractmethod
    def send(self, message: M) -> str: ...

    def close(self) -> None:
        """Release connections; called once when the process stops."""


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


@dataclass
class CircuitBreaker:
    """Opens after ``failure_threshold`` consecutive failures; lets one trial through after
    ``cooldown`` seconds; the trial's outcome closes or re-opens it. Thread-safe, and never
    holds its lock while the provider is being called."""

    name: str
    failure_threshold: int = 5
    cooldown: float = 30.0
    clock: Callable[[], float] = time.monotonic
    state: BreakerState = BreakerState.CLOSED
    _failures: int = 0
    _opened_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def allows_call(self) -> bool:
        with self._lock:
            if self.state is BreakerState.CLOSED:
                return True
            if self.state is BreakerState.OPEN and self.clock() >= self._opened_at + self.cooldown:
                self.state = BreakerState.HALF_OPEN  # this caller carries the one trial
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            if self.state is not BreakerState.CLOSED:
                log.info("provider recovered", extra={"provider": self.name})
            self.state = BreakerState.CLOSED
            self._failures = 0

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            trial_failed = self.state is BreakerState.HALF_OPEN
            if trial_failed or self._failures >= self.failure_threshold:
                if self.state is BreakerState.CLOSED:
                    log.warning("provider skipped after failures", extra={"provider": self.name})
                self.state = BreakerState.OPEN
                self._opened_at = self.clock()


BreakerFactory = Callable[[str], CircuitBreaker]


class FailoverSender(Generic[M]):
    """Tries the providers of one channel in order, skipping those whose breaker is open."""

    def __init__(self, providers: Sequence[Provider[M]], breaker: BreakerFactory) -> None:
        if not providers:
            raise ValueError("a channel needs at least one provider")
        names = [p.name for p in providers]
        if len(set(names)) != len(names):
            # breakers are kept by name: two providers sharing one would share their record
            raise ValueError(f"provider names must be unique in a channel: {names}")
        self.providers: list[Provider[M]] = list(providers)
        self.breakers: dict[str, CircuitBreaker] = {p.name: breaker(p.name) for p in providers}

    def send(self, message: M) -> Receipt:
        errors: list[str] = []
        retry_after: float | None = None
        for provider in self.providers:
            breaker = self.breakers[provider.name]
            if not breaker.allows_call():
                errors.append(f"{provider.name}: skipped (circuit open)")
                continue
            try:
                message_id = provider.send(message)
            except PermanentDeliveryError:
                # the address or content is at fault, not the provider: keep its record clean
                breaker.record_success()
                raise
            except TransientDeliveryError as exc:
                breaker.record_failure()
                errors.append(f"{provider.name}: {exc}")
                if exc.retry_after is not None:
                    retry_after = max(retry_after or 0.0, exc.retry_after)
                continue
            breaker.record_success()
            return Receipt(provider.name, message_id)
        raise TransientDeliveryError("; ".join(errors), retry_after=retry_after)

    def close(self) -> None:
        for provider in self.providers:
            provider.close()


class ChannelSenders(Sender):
    """Routes a message to its channel's ordered providers: email has one list, SMS one per
    category, push one per platform.

    SMS is routed by the message's category to that category's own list of sender
    identities, and never to the other one: when every promotional provider is down, a
    promotional text waits for a retry rather than borrowing the transactional route.
    """

    def __init__(
        self,
        *,
        email: FailoverSender[EmailMessage],
        sms: Mapping[Category, FailoverSender[SmsMessage]],
        push: Mapping[Platform, FailoverSender[PushMessage]],
    ) -> None:
        self.email = email
        self.sms = dict(sms)
        self.push = dict(push)

    def send(self, message: Message) -> Receipt:
        if isinstance(message, EmailMessage):
            return self.email.send(message)
        if isinstance(message, SmsMessage):
            route = self.sms.get(message.category)
            if route is None:
                raise PermanentDeliveryError(f"no {message.category} SMS sender is configured")
            return route.send(message)
        push = self.push.get(message.platform)
        if push is None:
            raise PermanentDeliveryError(f"no {message.platform} push provider is configured")
        return push.send(message)

    def close(self) -> None:
        self.email.close()
        for sms in self.sms.values():
            sms.close()
        for push in self.push.values():
            push.close()
