"""An account erasure (issue #14): who asked, when, and which services have forgotten the user.

The row outlives the user it is about (it holds the id only, a pseudonym once the identity is
gone) so an admin can see the erasure's progress. The address and name are kept only until
the confirmation email is on its way, then cleared.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from keel_auth.domain.model import AuditEntry

#: The services that hold data about a user, each reporting its part of an erasure.
ERASING_SERVICES: tuple[str, ...] = ("auth", "core", "notification", "search")


class Erasure:
    def __init__(
        self,
        user_id: uuid.UUID,
        now: datetime,
        *,
        requested_by: uuid.UUID | None,
        reason: str,
        contact_email: str,
        contact_name: str | None,
        contact_locale: str | None = None,
    ) -> None:
        self.id = uuid.uuid4()
        self.user_id = user_id
        self.requested_at = now
        #: The admin who triggered it; None when the user deleted their own account.
        self.requested_by = requested_by
        self.reason = reason
        self.contact_email: str | None = contact_email
        self.contact_name = contact_name
        self.contact_locale = contact_locale
        self.auth_erased_at: datetime | None = None
        self.core_erased_at: datetime | None = None
        self.notification_erased_at: datetime | None = None
        self.search_erased_at: datetime | None = None
        self.confirmed_at: datetime | None = None

    def completed(self) -> dict[str, datetime | None]:
        """When each service reported its part (None: not yet)."""
        return {service: getattr(self, f"{service}_erased_at") for service in ERASING_SERVICES}

    def record(self, service: str, when: datetime) -> bool:
        """``service`` finished; False for an unknown service or a repeated report (the
        first time stands: reports are delivered at least once)."""
        if service not in ERASING_SERVICES or getattr(self, f"{service}_erased_at") is not None:
            return False
        setattr(self, f"{service}_erased_at", when)
        return True

    @property
    def is_complete(self) -> bool:
        return all(when is not None for when in self.completed().values())

    def confirm(self, now: datetime) -> tuple[str, str | None, str | None] | None:
        """Once every service reported, hand out the address for the last email exactly
        once, forgetting it here; None before that or after."""
        if not self.is_complete or self.confirmed_at is not None or self.contact_email is None:
            return None
        contact = (self.contact_email, self.contact_name, self.contact_locale)
        self.contact_email = None
        self.contact_name = None
        self.contact_locale = None
        self.confirmed_at = now
        return contact


#: Audit details that may name the person (a failed login records the address typed).
PERSONAL_DETAILS = frozenset({"email", "phone", "name", "new_email", "old_email"})


def pseudonymize_audit_entry(entry: AuditEntry, identifiers: Iterable[str]) -> bool:
    """Keep what happened and when, drop who it was: the client's address and user agent, and
    any detail naming the person. The user id stays (it names nobody once the account is
    gone). False when there was nothing to strip."""
    wanted = {value.lower() for value in identifiers if value}
    details = {
        key: value
        for key, value in entry.details.items()
        if key not in PERSONAL_DETAILS and str(value).lower() not in wanted
    }
    changed = entry.ip is not None or entry.user_agent is not None or details != entry.details
    entry.ip = None
    entry.user_agent = None
    entry.details = details  # reassigned, so the ORM sees the JSON change
    return changed
