"""Fixtures for the deployment checks: rendered chart profiles and the external tools.

Tools (nginx, promtool, the checkov virtualenv, terraform) are looked up once; a missing one
skips its tests on a laptop and fails them with CI=true (keel_common.testing.plugin.require).
"""

from __future__ import annotations

import copy
import functools
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from keel_common.testing.plugin import require

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "keel"
KUBE_VERSION = "1.33"
RELEASE = "keel"
NAMESPACE = "keel"

# Each profile is the list of values files `helm upgrade` would get, in order.
PROFILES: dict[str, list[str]] = {
    "default": [],
    "staging": ["values-staging.yaml", "ci/staging-infra-values.yaml"],
    "production": ["values-production.yaml", "ci/production-infra-values.yaml"],
    "queue-autoscaling": ["ci/queue-autoscaling-values.yaml"],
    "minimal": ["ci/minimal-values.yaml"],
}

Manifest = dict[str, Any]


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm's coalescing of values files: maps merge, anything else is replaced."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def profile_values(profile: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in PROFILES[profile]:
        values = deep_merge(values, yaml.safe_load((CHART / name).read_text()) or {})
    return values


def render_chart(values: dict[str, Any]) -> dict[str, str]:
    import helm_python

    with helm_python.Chart.load(CHART) as chart:
        return chart.render(values, name=RELEASE, namespace=NAMESPACE, is_upgrade=True)


def parse_manifests(rendered: dict[str, str]) -> list[Manifest]:
    objects: list[Manifest] = []
    for path, text in sorted(rendered.items()):
        if path.endswith("NOTES.txt"):
            continue
        objects.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return objects


@functools.cache
def _render_profile(profile: str) -> tuple[Manifest, ...]:
    return tuple(parse_manifests(render_chart(profile_values(profile))))


class ChartHelper:
    """What the chart tests share (test modules cannot import conftest in importlib mode)."""

    path = CHART
    repo = REPO
    profiles = PROFILES
    kube_version = KUBE_VERSION
    deep_merge = staticmethod(deep_merge)
    profile_values = staticmethod(profile_values)
    parse_manifests = staticmethod(parse_manifests)

    @staticmethod
    def render(profile: str) -> list[Manifest]:
        """A profile's objects (rendered once per session; each call gets its own copy)."""
        return copy.deepcopy(list(_render_profile(profile)))

    @staticmethod
    def render_values(values: dict[str, Any]) -> list[Manifest]:
        return parse_manifests(render_chart(values))

    @staticmethod
    def by_kind(objects: list[Manifest], kind: str) -> list[Manifest]:
        return [o for o in objects if o["kind"] == kind]


@pytest.fixture
def chart() -> ChartHelper:
    return ChartHelper()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "profile" in metafunc.fixturenames:
        metafunc.parametrize("profile", list(PROFILES))


@pytest.fixture(scope="session")
def tool() -> Callable[[str], str]:
    """The path of an executable, or skip (fail with CI=true) when it is not installed."""

    def _tool(name: str) -> str:
        # nginx lives in /usr/sbin, which is not on every user's PATH.
        path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
        require(path is not None, f"{name} is not installed")
        assert path is not None
        return path

    return _tool


@pytest.fixture
def checkov_bin() -> str:
    venv = Path(os.environ.get("CHECKOV_VENV", REPO / "var" / "checkov-venv"))
    path = venv / "bin" / "checkov"
    require(path.exists(), f"no checkov at {path}: run `make checkov-venv`")
    return str(path)
