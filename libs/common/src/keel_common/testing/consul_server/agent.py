"""The stand-in agent: its catalog, its check loop and its HTTP API (see the package doc)."""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from keel_common.testing.consul_server.checks import (
    SERF_CHECK,
    BadRequest,
    Check,
    check_json,
    decode_check,
    decode_service,
    probe,
)

Answer = tuple[int, Any]


class ConsulAgentServer:
    """The agent on 127.0.0.1 and a free port; ``http_addr`` is a ``CONSUL_HTTP_ADDR`` value."""

    def __init__(self, node: str = "keel-node", datacenter: str = "dc1") -> None:
        self.node = {
            "ID": str(uuid.uuid4()), "Node": node, "Address": "127.0.0.1",
            "Datacenter": datacenter, "TaggedAddresses": {"lan": "127.0.0.1"}, "Meta": {},
        }  # fmt: skip
        self.services: dict[str, dict[str, Any]] = {}
        self.checks: dict[str, Check] = {}
        self.kv: dict[str, dict[str, Any]] = {}
        self.index = 1
        self.lock = threading.RLock()
        self._stop = threading.Event()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._http.daemon_threads = True
        self._http.agent = self  # type: ignore[attr-defined]
        self.connections: set[socket.socket] = set()
        self._threads = [
            threading.Thread(target=self._serve, name="consul-http", daemon=True),
            threading.Thread(target=self._check_loop, name="consul-checks", daemon=True),
        ]

    @property
    def http_addr(self) -> str:
        return f"127.0.0.1:{self._http.server_address[1]}"

    def start(self) -> ConsulAgentServer:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._http.shutdown()
        self._http.server_close()
        # Keep-alive connections would otherwise still be answered by their threads.
        for connection in list(self.connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(5)

    def __enter__(self) -> ConsulAgentServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def run_checks(self, due_only: bool = False) -> None:
        """Run every check now (``due_only``: only those whose interval has elapsed)."""
        with self.lock:
            now = time.monotonic()
            checks = [c for c in self.checks.values() if not due_only or c.next_run <= now]
        for check in checks:
            status, output = probe(check)
            with self.lock:
                self._record(check, status, output, time.monotonic())

    def _record(self, check: Check, status: str, output: str, now: float) -> None:
        check.status, check.output, check.next_run = status, output, now + check.interval
        if status != "critical":
            check.critical_since = None
            return
        check.critical_since = check.critical_since or now
        if check.deregister_after and now - check.critical_since >= check.deregister_after:
            self.remove_service(check.service_id)

    def _serve(self) -> None:
        self._http.serve_forever(poll_interval=0.05)  # a short poll makes stop() quick

    def _check_loop(self) -> None:
        while not self._stop.wait(0.1):
            self.run_checks(due_only=True)

    def add_service(self, body: Any) -> None:
        s = decode_service(body)
        if not s["Name"]:
            raise BadRequest("Missing service name")
        if s["Address"] in ("0.0.0.0", "::", "[::]"):
            raise BadRequest("Invalid service address")
        service_id = s["ID"] or s["Name"]
        raws = s.pop("checks")
        suffix = [f":{n}" if len(raws) > 1 else "" for n in range(1, len(raws) + 1)]
        checks = [
            decode_check(raw, service_id, f"service:{service_id}{end}")
            for raw, end in zip(raws, suffix, strict=True)
        ]
        with self.lock:
            self.remove_service(service_id)
            self.index += 1
            self.services[service_id] = {
                "ID": service_id, "Service": s["Name"], "Tags": s["Tags"] or [],
                "Address": s["Address"] or "", "Meta": s["Meta"] or {}, "Port": s["Port"] or 0,
                "Weights": {"Passing": 1, "Warning": 1}, "EnableTagOverride": False,
                "CreateIndex": self.index, "ModifyIndex": self.index,
            }  # fmt: skip
            self.checks.update((c.check_id, c) for c in checks)

    def remove_service(self, service_id: str) -> bool:
        with self.lock:
            if self.services.pop(service_id, None) is None:
                return False
            for check_id in [k for k, c in self.checks.items() if c.service_id == service_id]:
                del self.checks[check_id]
            self.index += 1
            return True

    def health(self, name: str, passing: bool, tags: list[str]) -> list[dict[str, Any]]:
        entries = []
        with self.lock:
            for svc in self.services.values():
                if svc["Service"] != name or not set(tags) <= set(svc["Tags"]):
                    continue
                mine = [c for c in self.checks.values() if c.service_id == svc["ID"]]
                checks = [SERF_CHECK] + [check_json(c, svc) for c in mine]
                if not passing or all(c["Status"] == "passing" for c in checks):
                    checks = [{"Node": self.node["Node"], **c} for c in checks]
                    entries.append({"Node": self.node, "Service": svc, "Checks": checks})
        return entries

    def get_kv(self, key: str) -> Answer:
        if not key:
            raise BadRequest("Missing key name")
        with self.lock:
            entry = self.kv.get(key)
        return (404, "") if entry is None else (200, [entry])

    def put_kv(self, key: str, value: bytes) -> Answer:
        if not key:
            raise BadRequest("Missing key name")
        with self.lock:
            self.index += 1
            created = self.kv.get(key, {}).get("CreateIndex", self.index)
            self.kv[key] = {
                "LockIndex": 0, "Key": key, "Flags": 0, "CreateIndex": created,
                "ModifyIndex": self.index,
                "Value": base64.b64encode(value).decode() if value else None,
            }  # fmt: skip
        return 200, True

    def deregister(self, service_id: str) -> Answer:
        if self.remove_service(service_id):
            return 200, ""
        hint = "Ensure that the service ID is passed, not the service name."
        return 404, f'Unknown service ID "{service_id}". {hint}'


def _json(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except ValueError as exc:
        raise BadRequest(f"Request decode failed: {exc}") from None


def _passing(query: dict[str, list[str]]) -> bool:
    value = query.get("passing", ["false"])[0].lower()
    if value not in ("", "1", "0", "t", "f", "true", "false"):
        raise BadRequest("Invalid value for ?passing")
    return value in ("", "1", "t", "true")


class _Handler(BaseHTTPRequestHandler):
    server_version = "Consul"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read results, not access logs."""

    def setup(self) -> None:
        super().setup()
        self.server.agent.connections.add(self.connection)  # type: ignore[attr-defined]

    def finish(self) -> None:
        super().finish()
        self.server.agent.connections.discard(self.connection)  # type: ignore[attr-defined]

    def _dispatch(self) -> None:
        agent: ConsulAgentServer = self.server.agent  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        path, query = unquote(url.path), parse_qs(url.query, keep_blank_values=True)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        routes: dict[str, dict[str, Any]] = {
            "/v1/agent/service/register": {"PUT": lambda _: agent.add_service(_json(body))},
            "/v1/agent/service/deregister/": {"PUT": agent.deregister},
            "/v1/health/service/": {
                "GET": lambda name: (200, agent.health(name, _passing(query), query.get("tag", [])))
            },
            "/v1/kv/": {"GET": agent.get_kv, "PUT": lambda key: agent.put_kv(key, body)},
        }
        prefix = next((p for p in routes if path.startswith(p)), None)
        try:
            if prefix is None:
                answer: Answer = (404, "404 page not found\n")
            elif self.command not in routes[prefix]:
                answer = (405, f"method {self.command} not allowed")
            else:
                answer = routes[prefix][self.command](path[len(prefix) :]) or (200, "")
        except BadRequest as exc:
            answer = (400, str(exc))
        self._reply(*answer, index=agent.index)

    do_GET = do_PUT = _dispatch

    def _reply(self, status: int, payload: Any, index: int) -> None:
        plain = isinstance(payload, str)
        data = (payload if plain else json.dumps(payload)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain" if plain else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Consul-Index", str(index))
        self.send_header("X-Consul-Knownleader", "true")
        self.end_headers()
        self.wfile.write(data)
