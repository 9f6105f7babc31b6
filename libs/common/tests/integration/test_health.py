"""Readiness checks against real servers: PostgreSQL and a loopback HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests
import sqlalchemy as sa

from keel_common.health import database_check, http_check


def test_database_check_passes_against_postgres(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    try:
        database_check(engine)()
    finally:
        engine.dispose()


def test_database_check_fails_when_postgres_refuses(postgres_url: str) -> None:
    wrong_database = sa.make_url(postgres_url).set(database="keel_no_such_database")
    engine = sa.create_engine(wrong_database)
    try:
        with pytest.raises(sa.exc.OperationalError):
            database_check(engine)()
    finally:
        engine.dispose()


class StatusHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/ok" else 503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output to the test's own lines


@pytest.fixture
def loopback_server() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), StatusHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_http_check_passes_on_2xx(loopback_server: str) -> None:
    http_check(f"{loopback_server}/ok")()


def test_http_check_fails_on_5xx(loopback_server: str) -> None:
    with pytest.raises(requests.HTTPError):
        http_check(f"{loopback_server}/down")()


def test_http_check_fails_when_nothing_listens() -> None:
    server = HTTPServer(("127.0.0.1", 0), StatusHandler)
    port = server.server_address[1]
    server.server_close()  # the port was free a moment ago and is closed now
    with pytest.raises(requests.ConnectionError):
        http_check(f"http://127.0.0.1:{port}/ok", timeout=2)()
