"""The base of every event contract and the registry of all of them."""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict

_REGISTRY: dict[str, type[Event]] = {}


class Event(BaseModel):
    """An immutable event; its fields are the envelope's ``data``.

    Subclasses set ``type`` (the routing key), ``producer`` (the owning service) and
    ``subject_field`` (the field holding the id of the aggregate the event is about).
    """

    # Validation errors never echo the values: an event may carry a one-time code.
    model_config = ConfigDict(frozen=True, extra="ignore", hide_input_in_errors=True)

    type: ClassVar[str]
    producer: ClassVar[str]
    subject_field: ClassVar[str] = "id"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        event_type = cls.__dict__.get("type")
        if isinstance(event_type, str):
            if event_type in _REGISTRY:
                raise TypeError(f"two contracts for {event_type}")
            _REGISTRY[event_type] = cls

    @property
    def subject(self) -> str:
        return str(getattr(self, self.subject_field))

    def to_data(self) -> dict[str, Any]:
        """The JSON-ready ``data`` of the envelope (UUIDs as text, times as RFC 3339 with Z)."""
        return self.model_dump(mode="json")

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Self:
        """Parse an envelope's ``data``; raises ``pydantic.ValidationError`` when it does not
        fit the contract."""
        return cls.model_validate(data)


def event_class(event_type: str) -> type[Event]:
    """The contract for ``event_type``; ``KeyError`` when nobody declared it."""
    _load_all()
    return _REGISTRY[event_type]


def event_classes() -> dict[str, type[Event]]:
    """Every declared contract by type."""
    _load_all()
    return dict(sorted(_REGISTRY.items()))


def _load_all() -> None:
    # The contract modules register their classes on import.
    from keel_events import auth, core, privacy  # noqa: F401
