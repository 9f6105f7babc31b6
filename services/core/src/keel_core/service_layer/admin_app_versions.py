"""Back-office app-version use cases: read the thresholds, change one platform's live."""

from __future__ import annotations

from keel_common.clock import Clock, utcnow
from keel_core.domain.actors import Actor
from keel_core.domain.app_versions import (
    AppVersion,
    InvalidVersionPolicy,
    Platform,
    VersionPolicy,
)
from keel_core.domain.audit import AdminAction, check_reason
from keel_core.domain.errors import FieldError, InvalidInput
from keel_core.service_layer.admin import record, require_admin, require_staff
from keel_core.service_layer.ports import UnitOfWork, VersionPolicies


def thresholds(actor: Actor, policies: VersionPolicies) -> dict[Platform, VersionPolicy]:
    """The thresholds in force now, per platform."""
    require_staff(actor)
    return {platform: policies.for_platform(platform) for platform in Platform}


def set_thresholds(
    uow: UnitOfWork,
    policies: VersionPolicies,
    actor: Actor,
    platform: Platform,
    min_supported: str,
    latest: str,
    reason: str,
    clock: Clock = utcnow,
) -> VersionPolicy:
    """Store a platform's new thresholds; this process answers with them at once, the
    others when their cache expires (``APP_VERSIONS_CACHE_SECONDS``)."""
    require_admin(actor)
    reason = check_reason(reason)
    policy = _policy(min_supported, latest)
    before = policies.for_platform(platform)
    with uow:
        uow.app_versions.put(platform, policy, actor.user_id)
        details = {
            "min_supported_version": [str(before.min_supported), str(policy.min_supported)],
            "latest_version": [str(before.latest), str(policy.latest)],
        }
        target = ("app_version", platform.value)
        record(uow, actor, AdminAction.APP_VERSION_CHANGED, target, reason, clock(), **details)
        uow.commit()
    policies.forget()
    return policy


def _policy(min_supported: str, latest: str) -> VersionPolicy:
    errors = []
    parsed: dict[str, AppVersion] = {}
    for name, text in (("min_supported_version", min_supported), ("latest_version", latest)):
        try:
            parsed[name] = AppVersion.parse(text)
        except ValueError as exc:
            errors.append(FieldError(name, str(exc)))
    if errors:
        raise InvalidInput.of(errors)
    try:
        return VersionPolicy(parsed["min_supported_version"], parsed["latest_version"])
    except InvalidVersionPolicy as exc:
        raise InvalidInput.of([FieldError("min_supported_version", str(exc))]) from exc
