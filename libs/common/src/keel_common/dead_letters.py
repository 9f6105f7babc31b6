"""How many messages each queue of a service has dead-lettered: support's first look when the
KeelDeadLetterQueueGrowing alert fires, and the only one under ``make run``.

The use case every consuming service exposes at ``GET /v1/admin/<svc>/dead-letters``; each
service's service layer calls it with its own ``Forbidden`` error.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, TypeVar

from keel_common.second_factor import require_principal_second_factor

if TYPE_CHECKING:
    from keel_common.auth.principal import Principal

ADMIN_ROLE = "admin"

Q = TypeVar("Q")


def dead_letter_counts(
    count: Callable[[Q], int],
    queues: Sequence[Q],
    *,
    caller: Principal,
    mfa_roles: Collection[str],
    forbidden: Callable[[str], Exception],
) -> list[tuple[Q, int]]:
    """Each queue with ``count(queue)``, the messages in its dead-letter queue (the broker's
    ``dead_letter_count``). Admins only: anyone else gets ``forbidden(reason)`` raised, and
    an admin signed in without a second factor ``SecondFactorRequired`` when ``mfa_roles``
    (REQUIRE_MFA_FOR_ROLES) name the role."""
    if ADMIN_ROLE not in caller.roles:
        raise forbidden("dead letters are for admins")
    require_principal_second_factor(caller, mfa_roles)
    return [(queue, count(queue)) for queue in queues]
