"""Stable newest-first cursor pagination shared by every list use case.

A cursor is the (``created_at``, ``id``) of the last item of a page, base64url-encoded, so
inserts and deletes between two requests never repeat or skip an item; it is opaque to
clients and never carries an integer key.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

from keel_core.domain.errors import FieldError, InvalidInput
from keel_core.service_layer.ports import Position

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def check_limit(limit: int) -> int:
    if isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput.of([FieldError("limit", f"must be 1 to {MAX_LIMIT}")])
    return limit


def encode_cursor(position: Position) -> str:
    raw = f"{position.created_at.isoformat()}|{position.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Position | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, _, ident = raw.partition("|")
        position = Position(datetime.fromisoformat(created_at), UUID(ident))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput.of([FieldError("cursor", "is not a cursor this API issued")]) from exc
    if position.created_at.tzinfo is None:
        raise InvalidInput.of([FieldError("cursor", "is not a cursor this API issued")])
    return position


def page_of(rows: Sequence[T], limit: int, position: Callable[[T], Position]) -> Page[T]:
    """Cut ``rows`` (fetched with ``limit + 1``) to a page and a cursor to the next one."""
    items = list(rows[:limit])
    more = len(rows) > limit
    return Page(items, encode_cursor(position(items[-1])) if more else None)
