"""The app-version check: may this client version keep running?"""

from __future__ import annotations

from keel_core.domain.app_versions import Platform, UpdateAdvice, advise, parse_client_version
from keel_core.domain.errors import FieldError, InvalidInput
from keel_core.service_layer.ports import VersionPolicies


def check_app_version(policies: VersionPolicies, platform: str, version: str) -> UpdateAdvice:
    try:
        known = Platform(platform)
    except ValueError as exc:
        choices = ", ".join(p.value for p in Platform)
        raise InvalidInput.of([FieldError("platform", f"must be one of {choices}")]) from exc
    return advise(policies.for_platform(known), parse_client_version(version))
