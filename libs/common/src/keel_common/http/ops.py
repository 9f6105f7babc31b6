"""The routes every HTTP server has besides its API: liveness, readiness, metrics, and the
OpenAPI document. They are not part of the documented API."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path

from flask import Response, jsonify
from flask_openapi3 import OpenAPI

from keel_common.http.problems import problem_response
from keel_common.metrics import metrics_payload

log = logging.getLogger("keel.health")


def healthz() -> Response:
    """Liveness: the process answers. Deliberately checks no dependency, so a database
    outage makes pods unready instead of getting them all restarted."""
    return jsonify(status="ok")


def readyz(checks: Mapping[str, Callable[[], object]], drain_file: Path | None = None) -> Response:
    """Readiness: every dependency check passes; otherwise a 503 naming those that failed.
    Once ``drain_file`` exists (the pod is stopping) the answer is 503 whatever the checks."""
    if drain_file is not None and drain_file.exists():
        return problem_response(503, "Service Unavailable", "Draining: this instance is stopping.")
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
        except Exception:  # any failure means "not ready"; the log has the cause
            log.warning("readiness check %s failed", name, exc_info=True)
            results[name] = "failed"
        else:
            results[name] = "ok"
    failed = sorted(name for name, result in results.items() if result != "ok")
    if failed:
        return problem_response(
            503, "Service Unavailable", f"Not ready: {', '.join(failed)}.", checks=results
        )
    return jsonify(status="ready", checks=results)


def metrics(service: str) -> Response:
    payload, content_type = metrics_payload(service)
    return Response(payload, content_type=content_type)


def install_ops_routes(
    app: OpenAPI,
    service: str,
    readiness: Mapping[str, Callable[[], object]],
    drain_file: Path | None = None,
) -> None:
    # Flask's own add_url_rule, so these stay out of the OpenAPI document.
    app.add_url_rule("/healthz", "keel_healthz", healthz)
    app.add_url_rule("/readyz", "keel_readyz", lambda: readyz(readiness, drain_file))
    # This service's series only: under `make run` one process serves several services.
    app.add_url_rule("/metrics", "keel_metrics", lambda: metrics(service))
    app.add_url_rule(f"/v1/{service}/openapi.json", "keel_openapi", lambda: jsonify(app.api_doc))
