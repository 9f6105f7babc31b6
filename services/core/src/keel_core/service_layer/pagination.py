"""Core's page sizes and how a bad ``limit`` or ``cursor`` is told to the caller.

The cursors themselves are ``keel_common.pagination``'s (newest first by ``created_at``,
``id``); this module only maps what it refuses to core's ``InvalidInput``.
"""

from __future__ import annotations

from keel_common.pagination import InvalidCursor, Position, decode_cursor
from keel_core.domain.errors import FieldError, InvalidInput

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def check_limit(limit: int) -> int:
    if isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput.of([FieldError("limit", f"must be 1 to {MAX_LIMIT}")])
    return limit


def position_after(cursor: str | None) -> Position | None:
    """Where the page named by ``cursor`` starts (None: the first page)."""
    if cursor is None:
        return None
    try:
        return decode_cursor(cursor)
    except InvalidCursor as exc:
        raise InvalidInput.of([FieldError("cursor", str(exc))]) from exc
