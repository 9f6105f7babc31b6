"""Hostile clients against the real nginx gateway (#16): one address holding a thousand
half-open connections must not lock others out, and a stalled body is cut, not held a minute.

Traffic stays on loopback and bounded: 1,100 sockets from 127.0.0.2, a few requests from
127.0.0.1.
"""

from __future__ import annotations

import importlib.util
import resource
import socket
import time
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.nginx

_spec = importlib.util.spec_from_file_location(
    "keel_gateway_harness", Path(__file__).with_name("test_gateway.py")
)
assert _spec and _spec.loader
harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(harness)
upstreams = harness.upstreams  # the module-scoped fixture: tiny echo services

HALF_OPEN = 1100
ATTACKER = "127.0.0.2"  # another loopback address: the well-behaved client is 127.0.0.1


def allow_sockets(count: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count:
        assert hard == resource.RLIM_INFINITY or hard >= count, f"ulimit -Hn {hard} < {count}"
        resource.setrlimit(resource.RLIMIT_NOFILE, (count, hard))


def half_open(port: int) -> socket.socket:
    """A connection whose request headers never finish (slowloris)."""
    sock = socket.socket()
    sock.settimeout(5)
    sock.bind((ATTACKER, 0))
    sock.connect(("127.0.0.1", port))
    sock.sendall(b"GET /v1/products HTTP/1.1\r\nHost: keel\r\nX-Slow: ")
    return sock


def alive(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except BlockingIOError:
        return True  # nothing to read and not closed: still held
    except OSError:
        return False


def hold(port: int, count: int) -> list[socket.socket]:
    """Keep ``count`` half-open connections, reopening those nginx closes to make room (it
    may drop connections it has not read from yet) for a few rounds, as an attacker would."""
    held: list[socket.socket] = []
    for _ in range(4):
        for sock in [s for s in held if not alive(s)]:
            sock.close()
            held.remove(sock)
        while len(held) < count:
            try:
                held.append(half_open(port))
            except OSError:
                break
        time.sleep(1)  # let nginx read what arrived
    return held


def test_one_address_with_a_thousand_half_open_connections_locks_nobody_out(
    tool, tmp_path, upstreams
):
    allow_sockets(HALF_OPEN + 256)
    for base in harness.start_gateway(tool, tmp_path, upstreams):
        port = int(base.rsplit(":", 1)[1])
        held: list[socket.socket] = []
        try:
            held = hold(port, HALF_OPEN)
            assert len(held) == HALF_OPEN  # the attack is in place, not refused outright
            statuses = []
            for _ in range(20):  # each on a new connection, as new visitors arrive
                try:
                    answer = requests.get(
                        base + "/v1/products", headers={"Connection": "close"}, timeout=5
                    )
                    statuses.append(answer.status_code)
                except requests.ConnectionError as exc:
                    statuses.append(type(exc).__name__)
            assert statuses == [200] * 20
        finally:
            for sock in held:
                sock.close()


def test_a_stalled_body_is_cut_long_before_a_minute(tool, tmp_path, upstreams):
    for base in harness.start_gateway(tool, tmp_path, upstreams):
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:
            # nginx's default body timeout is 60 s; 30 s without an answer fails the test.
            sock.settimeout(30)
            sock.sendall(
                b"POST /v1/orders HTTP/1.1\r\nHost: keel\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000\r\n\r\n{"
            )
            answer = b""
            try:
                while chunk := sock.recv(4096):
                    answer += chunk
            except ConnectionResetError:
                pass  # reset_timedout_connection: nginx drops it with a RST
        # Cut by the gateway: closed or reset without an answer, or a 408; never the upstream.
        assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer[:200]
