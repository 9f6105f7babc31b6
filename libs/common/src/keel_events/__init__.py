"""Typed event contracts between Keel services: one class per event type and version.

The producer builds the event from its own domain objects and publishes it on its unit of
work; the consumer parses the envelope's ``data`` into the same class. Neither reads a dict
by hand, so a field one side does not know is a type error (mypy), a validation error
(pydantic, the message is dead-lettered) or a failing contract test, never a silent ``None``.

Rules (see docs/architecture.md, "Events"):

* ``type`` is ``<svc>.<aggregate>.<what_happened>.v<N>``; the class name says it in words.
* A published version never loses a field, never changes a field's type and never gains a
  required field: ``scripts/events.py check`` compares the schemas against
  ``contracts.lock.json`` the way ``scripts/protos.py check`` guards the protos. A breaking
  change is a new class with ``.v<N+1>``, published beside the old one until no consumer
  reads the old one.
* ``producer`` names the only service that may publish the type; consumers refuse an event
  whose envelope ``source`` is another service.
"""

from __future__ import annotations

from keel_events.base import Event, event_class, event_classes

__all__ = ["Event", "event_class", "event_classes"]
