"""App-version checks: tell a mobile client whether it must or should update."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Self

from keel_core.domain.errors import FieldError, InvalidInput

# Strict X.Y.Z as app stores show it (semver core, no leading zeros, at most 9 digits each).
_VERSION = re.compile(r"(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})")


class Platform(StrEnum):
    IOS = "ios"
    ANDROID = "android"


class InvalidVersionPolicy(ValueError):
    """The configured thresholds (settings file or Consul KV) are unusable."""


@dataclass(frozen=True, order=True)
class AppVersion:
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> Self:
        match = _VERSION.fullmatch(text)
        if match is None:
            raise ValueError(f"{text!r} is not a version of the form X.Y.Z")
        major, minor, patch = (int(part) for part in match.groups())
        return cls(major, minor, patch)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


@dataclass(frozen=True)
class VersionPolicy:
    """Below ``min_supported`` a client must update; below ``latest`` it may."""

    min_supported: AppVersion
    latest: AppVersion

    def __post_init__(self) -> None:
        if self.min_supported > self.latest:
            raise InvalidVersionPolicy(f"min_supported {self.min_supported} > latest {self.latest}")


@dataclass(frozen=True)
class UpdateAdvice:
    hard_update: bool
    soft_update: bool
    latest_version: str
    min_supported_version: str


def parse_client_version(text: str) -> AppVersion:
    """The version a client reports; a malformed one is the client's error (422)."""
    try:
        return AppVersion.parse(text)
    except ValueError as exc:
        raise InvalidInput.of([FieldError("version", str(exc))]) from exc


def advise(policy: VersionPolicy, version: AppVersion) -> UpdateAdvice:
    hard = version < policy.min_supported
    return UpdateAdvice(
        hard_update=hard,
        soft_update=not hard and version < policy.latest,
        latest_version=str(policy.latest),
        min_supported_version=str(policy.min_supported),
    )


def policies_from_document(document: Mapping[str, Any]) -> dict[Platform, VersionPolicy]:
    """Read ``{"ios": {"min_supported_version": "1.0.0", "latest_version": "1.4.0"}, ...}``.

    Every platform must be present, so a typo in the configuration fails loudly instead of
    silently letting every client through.
    """
    if not isinstance(document, Mapping):
        raise InvalidVersionPolicy("the thresholds document must be a JSON object")
    policies = {}
    for platform in Platform:
        entry = document.get(platform.value)
        if not isinstance(entry, Mapping):
            raise InvalidVersionPolicy(f"no thresholds for {platform.value}")
        try:
            policies[platform] = VersionPolicy(
                min_supported=AppVersion.parse(str(entry["min_supported_version"])),
                latest=AppVersion.parse(str(entry["latest_version"])),
            )
        except (KeyError, ValueError) as exc:
            raise InvalidVersionPolicy(f"bad thresholds for {platform.value}: {exc}") from exc
    return policies
