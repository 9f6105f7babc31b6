from __future__ import annotations

import pytest

from keel_core.adapters.fakes import FakeVersionPolicies
from keel_core.domain.app_versions import (
    AppVersion,
    InvalidVersionPolicy,
    Platform,
    UpdateAdvice,
    VersionPolicy,
    policies_from_document,
)
from keel_core.domain.errors import InvalidInput
from keel_core.service_layer.app_versions import check_app_version

DOCUMENT = {
    "ios": {"min_supported_version": "2.0.0", "latest_version": "2.10.1"},
    "android": {"min_supported_version": "1.9.0", "latest_version": "1.9.0"},
}


@pytest.fixture
def policies() -> FakeVersionPolicies:
    return FakeVersionPolicies(policies_from_document(DOCUMENT))


@pytest.mark.parametrize(
    ("platform", "version", "hard", "soft"),
    [
        ("ios", "1.99.99", True, False),
        ("ios", "2.0.0", False, True),
        ("ios", "2.9.9", False, True),  # numeric, not string, comparison: 2.9 < 2.10
        ("ios", "2.10.1", False, False),
        ("ios", "3.0.0", False, False),
        ("android", "1.8.12", True, False),
        ("android", "1.9.0", False, False),
    ],
)
def test_advice_follows_the_platform_thresholds(
    policies: FakeVersionPolicies, platform: str, version: str, hard: bool, soft: bool
) -> None:
    advice = check_app_version(policies, platform, version)
    latest = DOCUMENT[platform]["latest_version"]
    minimum = DOCUMENT[platform]["min_supported_version"]
    assert advice == UpdateAdvice(hard, soft, latest, minimum)


@pytest.mark.parametrize(
    ("platform", "version", "field"),
    [
        ("windows", "1.0.0", "platform"),
        ("ios", "1.0", "version"),
        ("ios", "01.0.0", "version"),
        ("ios", "1.0.0-beta", "version"),
        ("ios", "1.0.0.0", "version"),
        ("ios", "9999999999.0.0", "version"),
    ],
)
def test_bad_platform_or_version_is_invalid(
    policies: FakeVersionPolicies, platform: str, version: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_app_version(policies, platform, version)
    assert [e.field for e in caught.value.errors] == [field]


def test_version_policy_rejects_min_above_latest() -> None:
    with pytest.raises(InvalidVersionPolicy):
        VersionPolicy(AppVersion(2, 0, 0), AppVersion(1, 0, 0))


@pytest.mark.parametrize(
    "document",
    [
        {"ios": DOCUMENT["ios"]},
        DOCUMENT | {"android": {"latest_version": "1.0.0"}},
        DOCUMENT | {"android": {"min_supported_version": "x", "latest_version": "1.0.0"}},
        DOCUMENT | {"android": "1.0.0"},
    ],
)
def test_incomplete_threshold_documents_are_refused(document: dict[str, object]) -> None:
    with pytest.raises(InvalidVersionPolicy):
        policies_from_document(document)


def test_document_is_read_per_platform() -> None:
    parsed = policies_from_document(DOCUMENT)
    assert parsed[Platform.IOS] == VersionPolicy(AppVersion(2, 0, 0), AppVersion(2, 10, 1))
