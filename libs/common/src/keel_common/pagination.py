"""Keyset cursors for newest-first lists ordered by (``created_at``, ``id``).

A cursor is the (``created_at``, ``id``) of the last item of a page, base64url-encoded, so
inserts and deletes between two requests never repeat or skip an item; it is opaque to
clients and never carries an integer key. ``decode_cursor`` raises ``InvalidCursor`` (a
``ValueError``) for anything this module did not issue; each service maps it to its own
field error.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

T = TypeVar("T")


class InvalidCursor(ValueError):
    """The cursor was not issued by this API (tampered, truncated or from elsewhere)."""


@dataclass(frozen=True)
class Position:
    """Where a page ended: the sort key of its last item."""

    created_at: datetime
    id: UUID


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(position: Position) -> str:
    raw = f"{position.created_at.isoformat()}|{position.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Position:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, separator, ident = raw.partition("|")
        position = Position(datetime.fromisoformat(created_at), UUID(ident))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursor("is not a cursor this API issued") from exc
    if not separator or position.created_at.tzinfo is None:
        raise InvalidCursor("is not a cursor this API issued")
    return position


def page_of(rows: Sequence[T], limit: int, position: Callable[[T], Position]) -> Page[T]:
    """Cut ``rows`` (fetched with ``limit + 1``) to a page and a cursor to the next one."""
    items = list(rows[:limit])
    more = len(rows) > limit
    return Page(items, encode_cursor(position(items[-1])) if more else None)
