"""The local gateway: real nginx with the rendered config in front of tiny upstream servers."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest
import requests

from keel_common.testing import free_port, written_lines

pytestmark = pytest.mark.nginx

REPO = Path(__file__).resolve().parents[2]
RENDER = REPO / "docker" / "gateway" / "render.py"


def load_render() -> ModuleType:
    spec = importlib.util.spec_from_file_location("keel_gateway_render", RENDER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Echo(BaseHTTPRequestHandler):
    """Answers with the service's name, the path and the headers it received."""

    service = "?"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = json.dumps(
            {"service": self.service, "path": self.path, "headers": dict(self.headers)}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def upstreams() -> Iterator[dict[str, int]]:
    """auth, core and notification answer; search's port has nobody listening (502)."""
    ports: dict[str, int] = {"search": free_port()}
    servers = []
    for name in ("auth", "core", "notification"):
        server = ThreadingHTTPServer(("127.0.0.1", 0), type(name, (Echo,), {"service": name}))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        ports[name] = server.server_address[1]
    yield ports
    for server in servers:
        server.shutdown()
        server.server_close()


def start_gateway(tool, tmp_path: Path, ports: dict[str, int | str], *extra: str) -> Iterator[str]:
    nginx = tool("nginx")
    prefix = tmp_path / "gateway"
    prefix.mkdir()
    # When the tests run as root, nginx workers run as nobody and must reach the temp folders.
    for folder in (tmp_path, prefix):
        os.chmod(folder, 0o755)  # noqa: S103 - world-readable, not writable

    listen = free_port()
    # A port, or addresses as given ("host:port,host:port" for several instances).
    args = [f"--{s}={p if isinstance(p, str) else f'127.0.0.1:{p}'}" for s, p in ports.items()]
    conf = subprocess.run(
        [
            sys.executable,
            str(RENDER),
            f"--listen=127.0.0.1:{listen}",
            f"--prefix={prefix}",
            *args,
            *extra,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    (prefix / "nginx.conf").write_text(conf)
    base = [nginx, "-p", str(prefix), "-e", str(prefix / "logs/error.log"), "-c"]
    subprocess.run([*base, str(prefix / "nginx.conf"), "-t", "-q"], check=True)
    proc = subprocess.Popen([*base, str(prefix / "nginx.conf")])
    try:
        wait_for_port(listen, proc)
        yield f"http://127.0.0.1:{listen}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def wait_for_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(100):
        assert proc.poll() is None, "nginx exited at start"
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail("nginx did not start listening")


@pytest.fixture(scope="module")
def gateway_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("gateway")


@pytest.fixture(scope="module")
def gateway(tool, gateway_dir, upstreams) -> Iterator[str]:
    yield from start_gateway(tool, gateway_dir, upstreams)


def access_entry(gateway_dir: Path, path: str) -> dict[str, object]:
    """The newest access-log entry for path; nginx writes it just after answering, so the
    file's last line may still be half written: only lines with their newline are read."""
    log = gateway_dir / "gateway/logs/access.log"
    for _ in range(100):
        entries = [json.loads(line) for line in written_lines(log)]
        found = [e for e in entries if e["path"] == path]
        if found:
            return dict(found[-1])
        time.sleep(0.02)
    pytest.fail(f"no access log entry for {path}")


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False  # never through a proxy from the environment
        yield session


def route_examples() -> list[tuple[str, str]]:
    render = load_render()
    cases = []
    for service, paths in render.ROUTES.items():
        for path in paths:
            cases.append((service, path))
            if path not in render.EXACT:
                cases.append((service, path.rstrip("/") + "/42"))
    return cases


@pytest.mark.parametrize(("service", "path"), route_examples())
def test_every_route_reaches_its_service(gateway, gateway_dir, upstreams, http, service, path):
    answer = http.get(gateway + path + "?page=2", timeout=5)
    # The access log names the upstream nginx chose, even for search, whose server is down.
    entry = access_entry(gateway_dir, path)
    assert entry["upstream"] == f"127.0.0.1:{upstreams[service]}"
    if service == "search":
        assert answer.status_code == 502
        return
    assert answer.status_code == 200
    assert answer.json()["service"] == service
    assert answer.json()["path"] == path + "?page=2"


@pytest.mark.parametrize("path", ["/", "/v1/productsearch", "/v1/authx", "/healthz", "/metrics"])
def test_unrouted_paths_are_problem_json_404(gateway, http, path):
    answer = http.get(gateway + path, timeout=5)
    assert answer.status_code == 404
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json()["status"] == 404 and answer.json()["title"] == "Not Found"


def test_a_dead_service_is_problem_json_502(gateway, http):
    answer = http.get(gateway + "/v1/search/products?q=tea", timeout=10)
    assert answer.status_code == 502
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json()["status"] == 502


@pytest.mark.parametrize("path", ["/v1/products", "/v1/nowhere"])
def test_answers_carry_the_security_headers(gateway, http, path):
    answer = http.get(gateway + path, timeout=5)
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert answer.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_a_request_id_is_minted_kept_or_replaced_and_passed_upstream(gateway, http):
    minted = http.get(gateway + "/v1/products", timeout=5)
    request_id = minted.json()["headers"]["X-Request-ID"]
    assert len(request_id) == 32 and minted.headers["X-Request-ID"] == request_id

    headers = {
        "X-Request-ID": "client-1234",
        "traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01",
    }
    kept = http.get(gateway + "/v1/orders", headers=headers, timeout=5).json()["headers"]
    assert kept["X-Request-ID"] == "client-1234"
    assert kept["traceparent"] == headers["traceparent"]

    forged = http.get(
        gateway + "/v1/orders", headers={"X-Request-ID": 'x", "admin": "1'}, timeout=5
    )
    assert len(forged.json()["headers"]["X-Request-ID"]) == 32


def test_a_body_over_one_mebibyte_is_problem_json_413(gateway, http):
    answer = http.post(gateway + "/v1/orders", data=b"x" * (1024 * 1024 + 1), timeout=10)
    assert answer.status_code == 413
    assert answer.headers["Content-Type"] == "application/problem+json"
    small = http.post(gateway + "/v1/orders", data=b"x" * 1000, timeout=5)
    assert small.status_code == 200


def test_the_access_log_is_json_without_query_strings(gateway, gateway_dir, http):
    http.get(gateway + "/v1/products?token=s3cr3t-value", timeout=5)
    entry = access_entry(gateway_dir, "/v1/products")
    assert entry["status"] == 200
    assert "s3cr3t" not in (gateway_dir / "gateway/logs/access.log").read_text()


def test_a_client_over_its_rate_gets_problem_json_429(tool, tmp_path, upstreams, http):
    for base in start_gateway(tool, tmp_path, upstreams, "--rate=1", "--burst=0"):
        statuses = [http.get(base + "/v1/products", timeout=5) for _ in range(5)]
        limited = [a for a in statuses if a.status_code == 429]
        assert limited, [a.status_code for a in statuses]
        assert limited[0].headers["Content-Type"] == "application/problem+json"


def test_the_helm_ingress_serves_exactly_the_gateway_routes(chart):
    render = load_render()
    ingresses = chart.by_kind(chart.render("default"), "Ingress")
    [ingress] = [i for i in ingresses if i["metadata"]["name"] == "keel"]
    [console] = [i for i in ingresses if i["metadata"]["name"] == "keel-console"]
    admin = [p["path"] for p in console["spec"]["rules"][0]["http"]["paths"]]
    assert admin == list(render.CONSOLE_ROUTES)
    served = {
        (p["backend"]["service"]["name"].split("-")[1], p["path"])
        for p in ingress["spec"]["rules"][0]["http"]["paths"]
    }
    assert served == {(s, path) for s, paths in render.ROUTES.items() for path in paths}


def test_trace_is_a_problem_json_405_with_allow(gateway, http):
    answer = http.request("TRACE", gateway + "/v1/orders", timeout=5)
    assert answer.status_code == 405
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert "GET" in answer.headers["Allow"] and "TRACE" not in answer.headers["Allow"]
    assert len(answer.headers["X-Request-ID"]) == 32


def test_an_over_long_url_is_refused_by_the_gateway_as_problem_json_414(gateway, http):
    answer = http.get(gateway + "/v1/orders?limit=" + "9" * 5000, timeout=5)
    assert answer.status_code == 414
    assert answer.headers["Content-Type"] == "application/problem+json"


class ConsolePage(Echo):
    """Answers like the console: its own CSP and Referrer-Policy on an HTML page."""

    service = "console"

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", "default-src 'none'; style-src 'self'")
        self.send_header("Referrer-Policy", "same-origin")
        super().end_headers()


def test_the_console_keeps_its_own_referrer_policy_and_csp_with_the_other_headers(
    tool, tmp_path, upstreams, http
):
    # no-referrer would make Chromium send "Origin: null" on the console's own form posts.
    server = ThreadingHTTPServer(("127.0.0.1", 0), ConsolePage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        ports: dict[str, int | str] = {**upstreams, "console": server.server_address[1]}
        for gateway in start_gateway(tool, tmp_path, ports):
            answer = http.get(gateway + "/admin/", timeout=5)
            assert answer.status_code == 200 and answer.json()["service"] == "console"
            assert answer.headers["Referrer-Policy"] == "same-origin"
            assert answer.headers["Content-Security-Policy"] == (
                "default-src 'none'; style-src 'self'"
            )
            assert answer.headers["X-Content-Type-Options"] == "nosniff"
            assert answer.headers["X-Request-ID"] == answer.json()["headers"]["X-Request-ID"]
            api = http.get(gateway + "/v1/products", timeout=5)
            assert api.headers["Referrer-Policy"] == "no-referrer"
    finally:
        server.shutdown()
        server.server_close()
