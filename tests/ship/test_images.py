"""The service images, built with podman on stand-in bases (scripts/container-bases.sh) and
run as the platform: one flow end to end, health endpoints, graceful stop.

Timing on the 2-core CI machine is in the README's Deploy section; the figures of each run
(build seconds, image size, the rebuild) are printed (`pytest -s` or the -ra summary).
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests

from keel_common.testing.plugin import (
    POSTGRES_ADMIN_URL,
    RABBITMQ_URL,
    REDIS_URL,
    port_open,
    require,
)
from tests.e2e.client import (
    TIMEOUT,
    User,
    create_product,
    eventually,
    place_order,
    read_emails,
    sign_up_and_log_in,
)
from tests.e2e.platform import Backends, Platform
from tests.e2e.servers import SERVICES, RabbitVhost, create_databases, drop_databases

from . import bugsink, podman, sentry_checks

ROOT = Path(__file__).resolve().parents[2]
DEPENDENCY_STEP = "--no-install-workspace"  # the Dockerfile's third-party layer


def test_images_hold_no_compiler_tests_or_git(images: dict[str, podman.Build]) -> None:
    probe = (
        "import os, shutil, sys; "
        "found = [t for t in ('gcc', 'cc', 'g++', 'make', 'uv', 'pip') if shutil.which(t)]; "
        "found += [p for p in ('/app/.git', '/app/tests', '/app/libs/common/tests', "
        "'/app/services/SVC/tests', '/root/.cache/uv') if os.path.exists(p)]; "
        "print(os.getuid(), os.getcwd(), found); sys.exit(1 if found else 0)"
    )
    for svc, built in images.items():
        out = podman.podman(
            "run",
            "--rm",
            "--read-only",
            "--entrypoint",
            "python",
            built.image,
            "-c",
            probe.replace("SVC", svc),
        )
        assert out.split()[0] == "10001", out
        assert out.split()[1] == f"/app/services/{svc}", out


def test_the_data_folders_exist_owned_by_the_app_user(images: dict[str, podman.Build]) -> None:
    """compose.yaml mounts fresh named volumes there; they copy this ownership."""
    for folder in ("/var/lib/keel/search-index", "/var/lib/keel/outbox"):
        out = podman.podman(
            "run", "--rm", "--entrypoint", "stat", images["search"].image, "-c", "%u:%g", folder
        )  # fmt: skip
        assert out.strip() == "10001:10001", (folder, out)


def test_a_second_build_with_the_same_lock_reuses_the_dependency_layer(
    images: dict[str, podman.Build], tmp_path: Path
) -> None:
    """A code change rebuilds the code layers only; the uv sync of the lock file is cached."""
    context = podman.copy_context(tmp_path / "context")
    changed = context / "libs/common/src/keel_common/__init__.py"
    changed.write_text(changed.read_text() + f"\n# rebuild {secrets.token_hex(4)}\n")
    rebuilt = podman.build("auth", context, tag="rebuild")
    cached = rebuilt.cached_steps()
    slowest = max(images.values(), key=lambda b: b.seconds)
    print(
        f"keel-auth rebuild after a code change: {rebuilt.seconds:.0f} s, {len(cached)} steps "
        f"from cache (slowest build of this run: {slowest.image} {slowest.seconds:.0f} s)"
    )
    assert any(DEPENDENCY_STEP in step for step in cached), cached
    assert not any("COPY libs/common/src" in step for step in cached), "code layer was cached"
    podman.podman("rmi", "--force", rebuilt.image, check=False)


def redis_url() -> str:
    """This run's Redis database (KEEL_TEST_REDIS_DB_BASE keeps parallel runs apart), flushed."""
    require(port_open(REDIS_URL, 6379), "Redis is not reachable")
    url = f"{REDIS_URL.rstrip('/')}/{int(os.environ.get('KEEL_TEST_REDIS_DB_BASE', '1'))}"
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()
    return url


RELEASE = "keel@test-" + secrets.token_hex(3)


@pytest.fixture(scope="module")
def sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[bugsink.Bugsink]:
    require(bugsink.VENV.exists(), "no var/bugsink-venv: run scripts/install-ship-tools.sh")
    server = bugsink.start(tmp_path_factory.mktemp("bugsink"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def platform(
    images: dict[str, podman.Build], sink: bugsink.Bugsink, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Platform, str]]:
    require(port_open(POSTGRES_ADMIN_URL, 5432), "PostgreSQL is not reachable")
    require(port_open(RABBITMQ_URL, 5672), "RabbitMQ is not reachable")
    prefix = "img" + secrets.token_hex(4)
    vhost = RabbitVhost.create(RABBITMQ_URL, prefix)
    try:
        databases = create_databases(POSTGRES_ADMIN_URL, prefix)
        # Redis as in production: without it auth's rate limits fall back to a local file,
        # which a read-only container cannot write.
        backends = Backends(databases, vhost.url, f"keel.events.{prefix}", redis_url())
        started = time.monotonic()
        sentry = {"SENTRY_DSN": sink.dsn, "SENTRY_RELEASE": RELEASE}
        # Under var/, not pytest's tmp: other pytest runs on the machine prune /tmp/pytest-of-*.
        workdir = ROOT / "var" / "ship-run" / prefix
        running = podman.start(
            workdir,
            backends,
            {s: b.image for s, b in images.items()},
            prefix,
            sentry,
        )
        print(f"platform from images ready in {time.monotonic() - started:.0f} s")
        try:
            yield running, prefix
        finally:
            podman.stop(running, prefix)
    finally:
        drop_databases(POSTGRES_ADMIN_URL, prefix)
        vhost.delete()


def test_health_endpoints_answer_from_the_containers(platform: tuple[Platform, str]) -> None:
    running, _ = platform
    for svc in SERVICES:
        for probe in ("healthz", "readyz"):
            url = f"http://127.0.0.1:{running.ports[svc]['web']}/{probe}"
            assert requests.get(url, timeout=TIMEOUT).status_code == 200, (svc, probe)


def test_sign_up_verify_order_receipt_through_the_images(platform: tuple[Platform, str]) -> None:
    running, _ = platform
    try:
        flow(running)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{running.logs()}") from exc


def flow(running: Platform) -> None:
    base = running.base_url
    # Sign-up answers 202; the helper follows the welcome email's link (written by the
    # notification-worker container), which verifies the address, then logs in.
    seller, buyer = (
        sign_up_and_log_in(base, name, running.outbox_dir) for name in ("Sally", "Bob")
    )
    product = create_product(base, seller, "Walnut lamp " + secrets.token_hex(3))
    order = place_order(base, buyer, product["id"], quantity=1)
    receipt = eventually(
        lambda: next(
            (m for m in read_emails(running.outbox_dir) if order["id"] in str(m["Subject"])), None
        ),
        "the order receipt in the delivery log (FILE_DELIVERY_DIR of the container)",
    )
    assert receipt["To"] == buyer.email
    FLOW_USERS.extend([seller, buyer])


FLOW_USERS: list[User] = []


def test_unhandled_errors_reach_bugsink_tagged_and_scrubbed(
    platform: tuple[Platform, str], sink: bugsink.Bugsink
) -> None:
    """A consumer, a web route and a gRPC method each fail for real (their table dropped);
    Bugsink stores their events, tagged with the request's ids, with no secret in them."""
    running, _ = platform
    assert len(FLOW_USERS) == 2, "runs after the flow test (it reuses its users)"
    sent: list[str] = [user.access_token for user in FLOW_USERS]
    checks = {
        "consumer": sentry_checks.consumer_error(running, sink, *FLOW_USERS),
        "web": sentry_checks.web_error(running, sink, sent),
        # After the web error: auth's users table is already gone.
        "grpc": sentry_checks.grpc_error(running, sink, sent),
    }
    for kind, (event, request_id, trace_id) in checks.items():
        tags = sentry_checks.tags_of(event)
        data = event["data"]
        assert (data.get("environment"), data.get("release")) == ("test", RELEASE), kind
        assert tags.get("trace_id") == trace_id, (kind, tags)
        assert tags.get("request_id") == (request_id or tags.get("request_id") or "?"), kind
        assert tags.get("service"), kind
        assert sentry_checks.leaked(event, sent) == [], kind
    print(f"Bugsink stored {len(sink.events())} events for {len(checks)} provoked errors")


def test_podman_stop_is_graceful(platform: tuple[Platform, str]) -> None:
    """Last on purpose: stops the platform. SIGTERM -> each process drains and exits 0 within
    the grace period (podman would SIGKILL after it: exit 137)."""
    running, prefix = platform
    started = time.monotonic()
    codes = podman.stop(running, prefix)
    took = time.monotonic() - started
    print(f"podman stop of {len(codes) - 1} containers took {took:.1f} s")
    assert {p: c for p, c in codes.items() if p != "gateway" and c != 0} == {}, running.logs()
