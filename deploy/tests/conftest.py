"""Fixtures for the deployment checks: rendered chart profiles and the external tools.

Tools (nginx, promtool, the checkov virtualenv, terraform) are looked up once; a missing one
skips its tests on a laptop and fails them with CI=true (keel_common.testing.plugin.require).
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from keel_common.testing.plugin import require

REPO = Path(__file__).resolve().parents[2]
KUBE_VERSION = "1.33"
Manifest = dict[str, Any]


def _load_renderer() -> ModuleType:
    """deploy/render_manifests.py: the profiles and the rendering `make helm-template` uses."""
    path = REPO / "deploy" / "render_manifests.py"
    spec = importlib.util.spec_from_file_location("keel_render_manifests", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RENDERER = _load_renderer()
PROFILES: dict[str, list[str]] = RENDERER.PROFILES


def parse_manifests(rendered: dict[str, str]) -> list[Manifest]:
    objects: list[Manifest] = []
    for path, text in sorted(rendered.items()):
        if path.endswith("NOTES.txt"):
            continue
        objects.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return objects


@functools.cache
def _render_profile(profile: str) -> tuple[Manifest, ...]:
    return tuple(parse_manifests(RENDERER.render_chart(RENDERER.profile_values(profile))))


class ChartHelper:
    """What the chart tests share (test modules cannot import conftest in importlib mode)."""

    path = RENDERER.CHART
    repo = REPO
    profiles = PROFILES
    kube_version = KUBE_VERSION
    profile_values = staticmethod(RENDERER.profile_values)
    parse_manifests = staticmethod(parse_manifests)

    @staticmethod
    def render(profile: str) -> list[Manifest]:
        """A profile's objects (rendered once per session; each call gets its own copy)."""
        return copy.deepcopy(list(_render_profile(profile)))

    @staticmethod
    def render_values(values: dict[str, Any]) -> list[Manifest]:
        return parse_manifests(RENDERER.render_chart(values))

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
    venv = Path(os.environ.get("CHECKOV_VENV") or _default_checkov_venv())
    path = venv / "bin" / "checkov"
    require(path.exists(), f"no checkov at {path}: run `make checkov-venv`")
    return str(path)


def _default_checkov_venv() -> Path:
    """Where ``make checkov-venv`` puts it (deploy/deploy.mk's CHECKOV_VENV)."""
    version = re.search(
        r"^CHECKOV_VERSION\s*:=\s*(\S+)", (REPO / "deploy" / "deploy.mk").read_text(), re.M
    )
    assert version, "CHECKOV_VERSION not found in deploy/deploy.mk"
    return Path.home() / ".cache" / "keel-tools" / f"checkov-{version[1]}"
