"""Dead letters of notification's queues, for admins (``keel_common.dead_letters``)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TypeVar

from keel_common import dead_letters
from keel_common.auth.principal import Principal
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
