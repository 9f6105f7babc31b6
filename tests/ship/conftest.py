"""The shipping pass (`make test-ship`): images built and run with podman, compose.yaml.

Everything here is marked ``ship`` so the main passes leave it out; it runs on its own
because building images is slow on two cores (timings in the README's Deploy section).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from keel_common.testing.plugin import require
from tests.e2e.servers import SERVICES

from . import podman

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.ship)


@pytest.fixture(scope="session")
def images() -> dict[str, podman.Build]:
    """Every service's image, built once per run (later builds reuse its layer cache)."""
    require(shutil.which("podman") is not None, "podman is not installed (make test-tools)")
    builds = {svc: podman.build(svc) for svc in SERVICES}
    for svc, built in builds.items():
        print(f"image keel-{svc}: {built.size_mb:.0f} MB, built in {built.seconds:.0f} s")
    return builds
