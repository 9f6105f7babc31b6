"""The console as a chart workload: one web Deployment from the shared templates, with no
database, certificate or broker user, and its own /admin/ Ingress that sourceRanges can
keep to the operators' networks."""

from __future__ import annotations

from typing import Any

ALLOWLIST = "nginx.ingress.kubernetes.io/allowlist-source-range"


def named(objects: list[dict[str, Any]], kind: str, name: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]


def test_the_console_runs_as_one_web_deployment_without_backends(chart, profile):
    objects = chart.render(profile)
    if profile == "minimal":
        return
    [deploy] = named(objects, "Deployment", "keel-console-web")
    [container] = deploy["spec"]["template"]["spec"]["containers"]
    assert container["image"].rsplit(":", 1)[0].endswith("/keel-console")
    assert container["args"] == ["web"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    volumes = {v["name"] for v in deploy["spec"]["template"]["spec"]["volumes"]}
    assert "grpc-tls" not in volumes
    names = {o["metadata"]["name"] for o in objects}
    assert "keel-console-migrate" not in names and "keel-console-grpc-tls" not in names
    assert not [n for n in names if n.startswith("keel-console-broker")]
    [config] = named(objects, "ConfigMap", "keel-console")
    assert "console=" not in config["data"].get("STATIC_SERVICES", "")
    assert "GRPC_TLS_CERT_FILE" not in config["data"]


def test_admin_routes_to_the_console_in_an_ingress_of_its_own(chart):
    objects = chart.render("production")
    [ingress] = named(objects, "Ingress", "keel-console")
    [path] = ingress["spec"]["rules"][0]["http"]["paths"]
    assert (path["path"], path["pathType"]) == ("/admin/", "Prefix")
    assert path["backend"]["service"] == {"name": "keel-console-web", "port": {"name": "http"}}
    assert ALLOWLIST not in ingress["metadata"]["annotations"]
    public = [i for i in chart.by_kind(objects, "Ingress") if i["metadata"]["name"] == "keel"]
    assert all(
        p["path"] != "/admin/" for i in public for p in i["spec"]["rules"][0]["http"]["paths"]
    )


def test_the_console_route_can_be_kept_to_source_ranges(chart):
    values = chart.profile_values("production")
    values["consoleIngress"] = {"enabled": True, "sourceRanges": ["203.0.113.0/24", "10.8.0.0/16"]}
    [ingress] = named(chart.render_values(values), "Ingress", "keel-console")
    assert ingress["metadata"]["annotations"][ALLOWLIST] == "203.0.113.0/24,10.8.0.0/16"

    values["consoleIngress"] = {"enabled": False}
    assert named(chart.render_values(values), "Ingress", "keel-console") == []
