"""The console's image (docker/console.Dockerfile), built with podman on the stand-in bases and
run the way the chart runs it: non-root, read-only root filesystem, every capability dropped.
It serves its sign-in page with the strict Content-Security-Policy and holds no build tools."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import time

import pytest
import requests

from keel_common.testing import free_port
from keel_common.testing.plugin import require

from . import podman

WAIT = 120.0  # seconds before the test gives up on the container (a failure, not a timing)


@pytest.fixture(scope="module")
def console_image() -> podman.Build:
    require(shutil.which("podman") is not None, "podman is not installed (make test-tools)")
    built = podman.build("console", dockerfile="console.Dockerfile")
    print(f"image keel-console: {built.size_mb:.0f} MB, built in {built.seconds:.0f} s")
    return built


def test_the_console_image_holds_no_build_tools_and_runs_as_non_root(
    console_image: podman.Build,
) -> None:
    probe = (
        "import os, shutil; "
        "found = [t for t in ('gcc', 'make', 'uv', 'pip') if shutil.which(t)]; "
        "found += [p for p in ('/app/.git', '/app/apps/console/tests', '/app/services') "
        "if os.path.exists(p)]; print(os.getuid(), os.getcwd(), found)"
    )
    out = podman.podman(
        "run", "--rm", "--read-only", "--entrypoint", "python", console_image.image, "-c", probe
    )
    assert out.split(maxsplit=2) == ["10001", "/app/apps/console", "[]\n"], out


def test_the_console_image_serves_its_sign_in_page(console_image: podman.Build) -> None:
    port, name = free_port(), f"keel-console-{secrets.token_hex(4)}"
    env = {
        "HTTP_PORT": str(port),
        "CONSOLE_SECRET_KEY": secrets.token_urlsafe(32),
        "CONSOLE_COOKIE_SECURE": "false",
        "ENVIRONMENT": "test",
    }
    argv = [
        "podman",
        "run",
        "--rm",
        "--name",
        name,
        "--network",
        "host",
        "--read-only",
        "--cap-drop",
        "all",
        "--security-opt",
        "no-new-privileges",
        "--tmpfs",
        "/tmp",
    ]
    for key, value in env.items():
        argv += ["--env", f"{key}={value}"]
    proc = subprocess.Popen(
        [*argv, console_image.image],
        env=podman.ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + WAIT
        while True:
            try:
                page = requests.get(f"http://127.0.0.1:{port}/admin/login", timeout=5)
                break
            except requests.ConnectionError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                assert time.monotonic() < deadline, "the console never answered"
                time.sleep(0.5)
        assert page.status_code == 200
        assert "script-src 'none'" in page.headers["Content-Security-Policy"]
        assert 'name="password"' in page.text
    finally:
        podman.podman("stop", "--ignore", "--time", "10", name, check=False)
        proc.wait(30)
        if proc.stdout is not None:
            proc.stdout.close()  # else an unclosed-pipe warning fails the session
