"""What the stand-in agent accepts and runs: Consul's service and check definitions."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION = re.compile(r"([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)")
_FIELD_TYPES = {"Name": str, "ID": str, "Address": str, "Port": int, "Tags": list, "Meta": dict}
_GO_TYPES = {str: "string", int: "int", list: "[]string", dict: "map[string]string"}


class BadRequest(Exception):
    """Answered as 400 with the message as the plain-text body, as Consul does."""


def parse_duration(value: Any) -> float:
    """A Go duration (``"10s"``, ``"1m30s"``) or a number of nanoseconds, in seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value / 1e9
    text = str(value)
    if text != "0" and (not text or _DURATION.sub("", text)):
        raise BadRequest(f'Request decode failed: time: invalid duration "{text}"')
    return sum(float(n) * _UNITS[unit] for n, unit in _DURATION.findall(text))


def _keys(raw: dict[str, Any]) -> dict[str, Any]:
    # Consul decodes JSON case-insensitively and accepts snake_case aliases.
    return {k.replace("_", "").lower(): v for k, v in raw.items()}


def decode_service(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("Request decode failed: json: cannot unmarshal into ServiceDefinition")
    fields = _keys(body)
    decoded: dict[str, Any] = {}
    for name, kind in _FIELD_TYPES.items():
        value = fields.get(name.lower())
        strings = value if kind is list and isinstance(value, list) else []
        wrong = not isinstance(value, kind) or isinstance(value, bool)
        if value is not None and (wrong or not all(isinstance(s, str) for s in strings)):
            raise BadRequest(
                f"Request decode failed: json: cannot unmarshal {type(value).__name__} into Go "
                f"struct field ServiceDefinition.{name} of type {_GO_TYPES[kind]}"
            )
        decoded[name] = value
    decoded["checks"] = ([fields["check"]] if fields.get("check") else []) + list(
        fields.get("checks") or []
    )
    return decoded


@dataclass
class Check:
    check_id: str
    service_id: str
    kind: str  # "http" or "grpc"
    target: str
    interval: float
    timeout: float
    deregister_after: float
    status: str
    next_run: float
    output: str = ""
    critical_since: float | None = None


def decode_check(raw: Any, service_id: str, check_id: str) -> Check:
    if not isinstance(raw, dict):
        raise BadRequest("Request decode failed: json: cannot unmarshal into CheckType")
    c = _keys(raw)
    interval = parse_duration(c.get("interval") or 0)
    if c.get("ttl") and interval:
        raise BadRequest("Invalid check: Interval and TTL cannot both be specified")
    kind = "http" if c.get("http") else "grpc" if c.get("grpc") else ""
    if not kind:
        # Consul also has TTL, TCP, script... checks; Keel registers only HTTP and gRPC ones.
        raise BadRequest("Invalid check: this stand-in agent runs only HTTP and gRPC checks")
    if interval <= 0:
        raise BadRequest("Invalid check: Interval must be > 0 for Script, HTTP, or TCP checks")
    status = c.get("status") or "critical"
    if status not in ("passing", "warning", "critical"):
        raise BadRequest("Status for checks must 'passing', 'warning', 'critical'")
    return Check(
        check_id=str(c.get("checkid") or c.get("id") or check_id),
        service_id=service_id,
        kind=kind,
        target=str(c[kind]),
        interval=interval,
        timeout=parse_duration(c.get("timeout") or "10s"),
        deregister_after=parse_duration(c.get("deregistercriticalserviceafter") or 0),
        status=status,
        next_run=time.monotonic() + interval,
    )


def probe(check: Check) -> tuple[str, str]:
    """(status, output) of one run of a check."""
    if check.kind == "http":
        try:
            with urllib.request.urlopen(check.target, timeout=check.timeout) as answer:  # noqa: S310
                return "passing", f"HTTP GET {check.target}: {answer.status}"
        except urllib.error.HTTPError as exc:
            return ("warning" if exc.code == 429 else "critical"), f"HTTP GET: {exc.code}"
        except OSError as exc:
            return "critical", f"HTTP GET {check.target}: {exc}"
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    target, _, service = check.target.partition("/")
    with grpc.insecure_channel(target) as channel:
        try:
            answer = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=check.timeout
            )
        except grpc.RpcError as exc:
            return "critical", f"gRPC {check.target}: {exc.code().name}"
    serving = answer.status == health_pb2.HealthCheckResponse.SERVING
    return ("passing" if serving else "critical"), f"gRPC {check.target}: {answer.status}"


SERF_CHECK = {
    "CheckID": "serfHealth", "Name": "Serf Health Status", "Status": "passing", "Notes": "",
    "Output": "Agent alive and reachable", "ServiceID": "", "ServiceName": "", "ServiceTags": [],
}  # fmt: skip


def check_json(check: Check, service: dict[str, Any]) -> dict[str, Any]:
    return {
        "CheckID": check.check_id, "Name": f"Service '{service['ID']}' check", "Notes": "",
        "Status": check.status, "Output": check.output, "ServiceID": service["ID"],
        "ServiceName": service["Service"], "ServiceTags": service["Tags"], "Type": check.kind,
    }  # fmt: skip
