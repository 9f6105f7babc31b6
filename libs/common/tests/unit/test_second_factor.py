"""The second-factor rule every admin API applies, and its setting's defaults."""

from __future__ import annotations

import uuid

import pytest

from keel_common.auth import InvalidToken, principal_from_claims
from keel_common.second_factor import SecondFactorRequired, require_second_factor
from keel_common.settings import ServiceSettings


def test_a_listed_role_needs_mfa_in_amr() -> None:
    with pytest.raises(SecondFactorRequired):
        require_second_factor({"staff"}, {"pwd"}, {"admin", "staff"})
    require_second_factor({"staff"}, {"mfa", "otp", "pwd"}, {"admin", "staff"})
    require_second_factor({"user"}, {"pwd"}, {"admin", "staff"})  # not concerned
    require_second_factor({"admin"}, {"pwd"}, frozenset())  # nothing required


def test_production_requires_it_of_admins_and_staff_by_default() -> None:
    assert ServiceSettings(service_name="x").require_mfa_for_roles == frozenset()
    production = ServiceSettings(service_name="x", environment="production")
    assert production.require_mfa_for_roles == {"admin", "staff"}
    chosen = ServiceSettings(service_name="x", require_mfa_for_roles="admin, ops")
    assert chosen.require_mfa_for_roles == {"admin", "ops"}


def test_the_verifier_reads_amr_and_refuses_a_malformed_one() -> None:
    claims = {"sub": str(uuid.uuid4()), "sid": str(uuid.uuid4()), "roles": ["admin"]}
    assert principal_from_claims(claims).amr == frozenset()
    assert principal_from_claims({**claims, "amr": ["pwd", "otp"]}).amr == {"pwd", "otp"}
    with pytest.raises(InvalidToken):
        principal_from_claims({**claims, "amr": "pwd"})
