"""The shipping pass (`make test-ship`): images built and run with podman, compose.yaml.

Everything here is marked ``ship`` so the main passes leave it out; it runs on its own
because building images is slow on two cores (timings in the README's Deploy section).
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.ship)
