"""Second-factor enforcement for admin APIs: one rule, called by every service's service layer.

A token shows two factors when its ``amr`` claim holds ``"mfa"`` (RFC 8176): keel-auth adds
it after a TOTP or recovery-code challenge and to passkey sign-ins. ``REQUIRE_MFA_FOR_ROLES``
(``ServiceSettings.require_mfa_for_roles``) names the roles whose holders must show it;
anyone else passes, so only privileged tokens are concerned.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # plain Python at run time: service layers import this module
    from keel_common.auth.principal import Principal

#: The ``amr`` value of a sign-in that used two factors.
MULTIPLE_FACTORS = "mfa"
#: The problem type of the 403 answered to a privileged token without a second factor.
MFA_REQUIRED_TYPE = "/problems/mfa-required"


class SecondFactorRequired(Exception):
    """The caller holds a role that needs a second factor and signed in with one (403)."""


def has_second_factor(amr: Collection[str]) -> bool:
    return MULTIPLE_FACTORS in amr


def require_second_factor(
    roles: Collection[str], amr: Collection[str], required_roles: Collection[str]
) -> None:
    """Raise ``SecondFactorRequired`` when ``roles`` meet ``required_roles`` but ``amr``
    shows a single factor."""
    concerned = sorted(set(roles) & set(required_roles))
    if concerned and not has_second_factor(amr):
        raise SecondFactorRequired(
            f"the {concerned[0]} role needs a second factor: sign in again with two-factor"
            " authentication or a passkey"
        )


def require_principal_second_factor(principal: Principal, required_roles: Collection[str]) -> None:
    """``require_second_factor`` for a verified token's principal."""
    require_second_factor(principal.roles, principal.amr, required_roles)
