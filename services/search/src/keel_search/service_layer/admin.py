"""Back-office use cases of search: the index's state, and rebuilds started by staff.

Authorization lives here: staff and admins only. A rebuild's job row is search's audit
trail of it (who asked, when, how it ended).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from uuid import UUID

from keel_common.auth.principal import Principal
from keel_common.clock import Clock
from keel_common.second_factor import require_principal_second_factor
from keel_search.domain.commands import RebuildIndex
from keel_search.domain.errors import Forbidden
from keel_search.domain.rebuilds import RebuildSummary
from keel_search.service_layer import rebuilding
from keel_search.service_layer.ports import IndexBuilder, SearchIndex, UnitOfWork

STAFF_ROLES = frozenset({"staff", "admin"})


def require_staff(caller: Principal, mfa_roles: Collection[str]) -> None:
    if not STAFF_ROLES & set(caller.roles):
        raise Forbidden("the back-office is for staff and admins")
    require_principal_second_factor(caller, mfa_roles)


@dataclass(frozen=True)
class IndexStatus:
    documents: int
    last_rebuild: RebuildSummary | None
    #: The index's lag: core's product changes waiting for the consumer (None: the broker
    #: did not answer, so the rest of the status is still shown).
    pending_changes: int | None = None


def index_status(
    caller: Principal,
    mfa_roles: Collection[str],
    index: SearchIndex,
    uow: UnitOfWork,
    backlog: Callable[[], int | None] = lambda: None,
) -> IndexStatus:
    """``backlog`` counts the product changes not yet applied (the consumer's queue)."""
    require_staff(caller, mfa_roles)
    with uow:
        latest = uow.rebuild_jobs.latest()
        last = latest.summary() if latest else None
    return IndexStatus(index.document_count(), last, backlog())


def start_rebuild(
    caller: Principal,
    mfa_roles: Collection[str],
    index: SearchIndex,
    uow: UnitOfWork,
    now: Clock,
) -> tuple[RebuildSummary, IndexBuilder]:
    """Begin a rebuild on behalf of a staff member (``RebuildInProgress`` if one runs)."""
    require_staff(caller, mfa_roles)
    user_id = str(caller.user_id)
    return rebuilding.start_rebuild(RebuildIndex(requested_by=user_id), index, uow, now)


def get_rebuild(
    caller: Principal, mfa_roles: Collection[str], job_id: UUID, uow: UnitOfWork
) -> RebuildSummary:
    require_staff(caller, mfa_roles)
    return rebuilding.get_rebuild(job_id, uow)
