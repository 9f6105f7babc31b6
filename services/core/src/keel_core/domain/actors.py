"""Who is asking: the caller as the domain's authorization rules see it."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

ADMIN_ROLE = "admin"
#: Operators: read and operate in the back-office; thresholds and roles stay with admins.
STAFF_ROLE = "staff"


@dataclass(frozen=True)
class Actor:
    """An authenticated user; built by the entrypoints from the verified token's principal."""

    user_id: UUID
    roles: frozenset[str] = field(default_factory=frozenset)
    #: How the caller signed in (the token's ``amr``), and the roles that must show a
    #: second factor there to use the back-office (``REQUIRE_MFA_FOR_ROLES``).
    amr: frozenset[str] = field(default_factory=frozenset)
    mfa_roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles

    @property
    def is_staff(self) -> bool:
        """Staff or admin: may use the back-office's read and operate actions."""
        return STAFF_ROLE in self.roles or self.is_admin
