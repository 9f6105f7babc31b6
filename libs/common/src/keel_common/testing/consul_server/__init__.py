"""A local stand-in for the Consul agent's HTTP API, for tests and machines without Consul.

It serves what ``keel_common.discovery.ConsulDiscovery`` calls, with Consul's request and
response shapes and its 400 answers to malformed requests:

- ``PUT /v1/agent/service/register``: ``ID``, ``Name``, ``Address``, ``Port``, ``Tags``,
  ``Meta``, ``Check`` or ``Checks`` (``HTTP`` or ``GRPC``, ``Interval``, ``Timeout``,
  ``DeregisterCriticalServiceAfter``, ``Status``); keys match case-insensitively and in
  snake_case, as Consul's decoder does;
- ``PUT /v1/agent/service/deregister/<id>``;
- ``GET /v1/health/service/<name>[?passing=1][&tag=t]`` -> ``[{Node, Service, Checks}]``;
- ``GET /v1/kv/<key>`` -> ``[{Key, Value (base64), Flags, CreateIndex, ModifyIndex, ...}]``
  or 404, and ``PUT /v1/kv/<key>`` (raw body) to store a value.

Checks really run, as the agent runs them: HTTP passes on 2xx, warns on 429, else fails;
gRPC asks ``grpc.health.v1`` (target ``host:port`` or ``host:port/service``). A new check is
``critical`` until it first passes (unless ``Status`` says otherwise). A thread runs each
check every ``Interval``, the first time one ``Interval`` after registration (Consul staggers
it randomly within that; a fixed delay keeps tests deterministic). Tests call ``run_checks()``
to run them all now instead of waiting.
"""

from __future__ import annotations

from keel_common.testing.consul_server.agent import ConsulAgentServer
from keel_common.testing.consul_server.checks import BadRequest, Check, parse_duration

__all__ = ["BadRequest", "Check", "ConsulAgentServer", "parse_duration"]
