from __future__ import annotations

import json
from pathlib import Path

import pytest

from keel_common.discovery import FakeDiscovery
from keel_core.adapters.app_versions import (
    CachedVersionPolicies,
    consul_document,
    file_document,
)
from keel_core.domain.app_versions import AppVersion, Platform
from keel_core.service_layer.ports import VersionPoliciesUnavailable

KEY = "keel/core/app-versions"


def document(ios_min: str, ios_latest: str = "9.0.0") -> bytes:
    both = {"min_supported_version": ios_min, "latest_version": ios_latest}
    return json.dumps({"ios": both, "android": both}).encode()


class Timer:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_thresholds_change_at_run_time_after_the_ttl() -> None:
    discovery, timer = FakeDiscovery({KEY: document("1.0.0")}), Timer()
    policies = CachedVersionPolicies(
        consul_document(discovery, KEY, lambda: b""), ttl=30, timer=timer
    )
    assert policies.for_platform(Platform.IOS).min_supported == AppVersion(1, 0, 0)

    discovery.kv[KEY] = document("2.0.0")
    timer.now = 29
    assert policies.for_platform(Platform.IOS).min_supported == AppVersion(1, 0, 0)
    timer.now = 31
    assert policies.for_platform(Platform.IOS).min_supported == AppVersion(2, 0, 0)


def test_a_broken_edit_keeps_the_last_good_thresholds() -> None:
    discovery, timer = FakeDiscovery({KEY: document("1.0.0")}), Timer()
    policies = CachedVersionPolicies(consul_document(discovery, KEY, lambda: b""), timer=timer)
    policies.for_platform(Platform.IOS)

    discovery.kv[KEY] = b'{"ios": '
    timer.now = 1000
    assert policies.for_platform(Platform.IOS).min_supported == AppVersion(1, 0, 0)


def test_the_settings_file_is_used_while_consul_has_no_key(tmp_path: Path) -> None:
    path = tmp_path / "app_versions.json"
    path.write_bytes(document("3.1.4"))
    policies = CachedVersionPolicies(consul_document(FakeDiscovery(), KEY, file_document(path)))
    assert policies.for_platform(Platform.ANDROID).min_supported == AppVersion(3, 1, 4)


@pytest.mark.parametrize("content", [b"not json", b"[]", document("2.0.0", "1.0.0")])
def test_no_usable_thresholds_at_all_is_reported(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "app_versions.json"
    path.write_bytes(content)
    with pytest.raises(VersionPoliciesUnavailable):
        CachedVersionPolicies(file_document(path)).for_platform(Platform.IOS)


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(VersionPoliciesUnavailable):
        CachedVersionPolicies(file_document(tmp_path / "absent.json")).for_platform(Platform.IOS)


def test_the_shipped_default_file_is_valid() -> None:
    import keel_core

    shipped = Path(keel_core.__file__).parent / "app_versions.json"
    policies = CachedVersionPolicies(file_document(shipped))
    assert {p: policies.for_platform(p) for p in Platform}
