"""A real browser for the console tests: Debian's chromium under Playwright for Python.

Playwright's own browser download cannot work on the build machines, so the binary the
Debian package installs is launched (``scripts/install-test-tools.sh``, run by ``make
test``, installs it).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from keel_common.testing.plugin import require

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def chromium_path() -> str:
    found = shutil.which("chromium") or (str(CHROMIUM) if CHROMIUM.exists() else None)
    require(found is not None, "chromium is not installed (scripts/install-test-tools.sh)")
    assert found is not None
    return found


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
