"""The trust boundary inside the cluster (issue #11): each service's gRPC identity is a
cert-manager Certificate every one of its processes mounts, and the NetworkPolicy pairs
are exactly the services' own caller allowlists."""

from __future__ import annotations

import copy
import importlib
from typing import Any

import yaml

from keel_common.grpc import caller_pairs

SERVICES = ("auth", "core", "notification", "search")
# Not a workload: an engineer's certificate, used through `kubectl port-forward`.
PEOPLE = {"operator"}


def merged(base: dict[str, Any], layer: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for name, value in layer.items():
        if isinstance(value, dict) and isinstance(out.get(name), dict):
            out[name] = merged(out[name], value)
        else:
            out[name] = copy.deepcopy(value)
    return out


def effective_values(chart: Any, profile: str) -> dict[str, Any]:
    """values.yaml with the profile's files on top, as Helm merges them."""
    defaults = yaml.safe_load((chart.path / "values.yaml").read_text())
    return merged(defaults, chart.profile_values(profile))


def allowlist_callers(service: str) -> list[str]:
    """Who the service's own allowlist (entrypoints/grpc_server.py CALLERS) lets call it."""
    module = importlib.import_module(f"keel_{service}.entrypoints.grpc_server")
    return sorted(caller_pairs(module.CALLERS) - PEOPLE)


def test_the_network_pairs_are_the_allowlists_of_the_services(chart):
    declared = effective_values(chart, "default")["grpcCallers"]

    for service in SERVICES:
        assert sorted(declared.get(service, [])) == allowlist_callers(service), service


def test_each_service_gets_a_certificate_naming_it_from_the_configured_issuer(chart, profile):
    values = effective_values(chart, profile)
    objects = chart.render(profile)
    certificates = {c["spec"]["commonName"]: c for c in chart.by_kind(objects, "Certificate")}
    # Apps (the console) call no gRPC and hold no certificate.
    enabled = {s for s, v in values["services"].items() if v["enabled"] and not v.get("app")}

    assert set(certificates) == enabled
    for service, certificate in certificates.items():
        spec = certificate["spec"]
        assert spec["uris"] == [f"spiffe://keel/{service}"]
        assert spec["dnsNames"] == [service]
        assert {"server auth", "client auth"} <= set(spec["usages"])
        assert spec["issuerRef"] == values["grpcTls"]["issuerRef"]
        assert spec["secretName"] == f"keel-{service}-grpc-tls"


def _pod_specs(chart: Any, objects: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    specs = [(d, d["spec"]["template"]["spec"]) for d in chart.by_kind(objects, "Deployment")]
    specs += [
        (c, c["spec"]["jobTemplate"]["spec"]["template"]["spec"])
        for c in chart.by_kind(objects, "CronJob")
    ]
    return [(o["metadata"]["labels"]["app.kubernetes.io/name"], spec) for o, spec in specs]


def test_migrations_need_no_certificate(chart):
    # A pre-install hook runs before cert-manager has issued anything; migrate calls no service.
    for job in chart.by_kind(chart.render("production"), "Job"):
        volumes = {v["name"] for v in job["spec"]["template"]["spec"]["volumes"]}
        assert "grpc-tls" not in volumes


def test_every_process_mounts_its_own_service_certificate(chart, profile):
    objects = chart.render(profile)
    configs = {c["metadata"]["name"]: c["data"] for c in chart.by_kind(objects, "ConfigMap")}

    apps = {s for s, v in effective_values(chart, profile)["services"].items() if v.get("app")}
    checked = 0
    for service, spec in _pod_specs(chart, objects):
        if service in apps:
            assert "grpc-tls" not in {v["name"] for v in spec["volumes"]}
            continue
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert volumes["grpc-tls"]["secret"]["secretName"] == f"keel-{service}-grpc-tls"
        for container in spec["containers"]:
            mounts = {m["name"]: m for m in container["volumeMounts"]}
            assert mounts["grpc-tls"]["readOnly"] is True
            assert mounts["grpc-tls"]["mountPath"] == "/etc/keel/grpc-tls"
            checked += 1
        config = configs.get(f"keel-{service}", {})
        assert config["GRPC_TLS_CERT_FILE"] == "/etc/keel/grpc-tls/tls.crt"
    assert checked


def test_probes_ask_grpc_health_on_the_plaintext_health_port(chart):
    objects = chart.render("production")
    for deployment in chart.by_kind(objects, "Deployment"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            if container["args"] == ["grpc"]:
                assert container["readinessProbe"]["grpc"] == {"port": 50052}
                ports = {p["name"]: p["containerPort"] for p in container["ports"]}
                assert ports["grpc-health"] == 50052


def test_without_grpc_tls_nothing_is_mounted_and_health_stays_on_the_grpc_port(chart):
    values = chart.profile_values("default") | {"grpcTls": {"enabled": False}}
    objects = chart.render_values(values)

    assert chart.by_kind(objects, "Certificate") == []
    for _service, spec in _pod_specs(chart, objects):
        assert "grpc-tls" not in {v["name"] for v in spec["volumes"]}


def test_each_service_broker_user_publishes_only_its_own_routing_keys(chart):
    objects = chart.render("production")
    topics = {
        t["spec"]["userReference"]["name"]: t for t in chart.by_kind(objects, "TopicPermission")
    }
    permissions = {
        p["spec"]["userReference"]["name"]: p for p in chart.by_kind(objects, "Permission")
    }
    users = {u["metadata"]["name"]: u for u in chart.by_kind(objects, "User")}

    assert set(users) == set(topics) == set(permissions) == {f"keel-{s}-broker" for s in SERVICES}
    for service in SERVICES:
        name = f"keel-{service}-broker"
        assert users[name]["spec"]["importCredentialsSecret"] == {"name": name}
        topic = topics[name]["spec"]["permissions"]
        assert topic["exchange"] == "keel.events"
        assert topic["write"] == f"^{service}\\."
        queues = permissions[name]["spec"]["permissions"]
        assert queues["configure"].startswith(f"^{service}\\..*$|")
        assert f"^{service}\\..*$" in queues["read"].split("|")
        # The default exchange would reach any service's queue by name.
        assert "amq" not in queues["write"]


def test_each_service_reaches_redis_and_consul_as_itself_in_production(chart):
    objects = chart.render("production")
    secrets = {e["metadata"]["name"]: e["spec"] for e in chart.by_kind(objects, "ExternalSecret")}

    for service in SERVICES:
        spec = secrets[f"keel-{service}"]
        keys = {d["remoteRef"]["key"] for d in spec["data"]} - {f"keel/production/{service}"}
        assert keys == {f"keel/production/redis-{service}"}
        assert {"extract": {"key": f"keel/production/consul-{service}"}} in spec["dataFrom"]
