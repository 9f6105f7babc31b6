"""Who may talk to whom (NetworkPolicy) and what the Ingress promises client apps."""

from __future__ import annotations

import json
from typing import Any

CONTROLLER = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}},
    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "ingress-nginx"}},
}
MONITORING = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
}
RELEASE = {"app.kubernetes.io/part-of": "keel", "app.kubernetes.io/instance": "keel"}
PLATFORM = {"podSelector": {"matchLabels": RELEASE}}
CONSUL = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "consul"}},
    "podSelector": {"matchLabels": {"app": "consul"}},
}
# callee -> the services that call it over gRPC today (their clients in bootstrap.py).
CALLERS = {
    "auth": ["core", "notification"],
    # auth calls ExportUserData on each of them (issue #14).
    "core": ["auth", "notification", "search"],
    "notification": ["auth"],
    "search": ["auth"],
}


def services_peer(names: list[str]) -> dict[str, Any]:
    expression = {"key": "app.kubernetes.io/name", "operator": "In", "values": sorted(names)}
    return {"podSelector": {"matchLabels": RELEASE, "matchExpressions": [expression]}}


def key(peer: dict[str, Any]) -> str:
    return json.dumps(peer, sort_keys=True)


def matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A LabelSelector (matchLabels, and matchExpressions with the operator In)."""
    wanted = selector.get("matchLabels", {})
    expressions = selector.get("matchExpressions", [])
    assert {e["operator"] for e in expressions} <= {"In"}
    return all(labels.get(k) == v for k, v in wanted.items()) and all(
        labels.get(e["key"]) in e["values"] for e in expressions
    )


def selecting(policies: list[dict[str, Any]], labels: dict[str, str]) -> list[dict[str, Any]]:
    return [p for p in policies if matches(p["spec"]["podSelector"], labels)]


def allowed(policies: list[dict[str, Any]], direction: str, port: int) -> set[str]:
    """Peers a pod's policies allow for one direction ("ingress"/"egress") and TCP/UDP port."""
    peers: set[str] = set()
    for policy in policies:
        for rule in policy["spec"].get(direction, []):
            ports = {p["port"] for p in rule.get("ports", [])}
            if port in ports:
                peers.update(key(p) for p in rule.get("from" if direction == "ingress" else "to"))
    return peers


def pods(chart, objects: list[dict[str, Any]]) -> list[tuple[str, str, dict[str, str]]]:
    return [
        (
            d["metadata"]["labels"]["app.kubernetes.io/name"],
            d["metadata"]["labels"]["app.kubernetes.io/component"],
            d["spec"]["template"]["metadata"]["labels"],
        )
        for d in chart.by_kind(objects, "Deployment")
    ]


def test_everything_not_allowed_is_denied(chart, profile):
    objects = chart.render(profile)
    policies = chart.by_kind(objects, "NetworkPolicy")
    if profile == "minimal":
        assert policies == []
        return
    deny = next(p for p in policies if p["metadata"]["name"] == "keel-default-deny")
    assert deny["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in deny["spec"] and "egress" not in deny["spec"]
    for service, kind, labels in pods(chart, objects):
        assert deny in selecting(policies, labels), (service, kind)


def test_only_the_ingress_controller_reaches_http_and_only_callers_reach_grpc(chart):
    objects = chart.render("production")
    policies = chart.by_kind(objects, "NetworkPolicy")
    for service, kind, labels in pods(chart, objects):
        mine = selecting(policies, labels)
        http, grpc, metrics = (allowed(mine, "ingress", p) for p in (8080, 50051, 9100))
        if kind == "web":
            # auth also serves its JWKS to the platform's token verifiers.
            extra = {key(PLATFORM)} if service == "auth" else set()
            assert http == {key(CONTROLLER), key(MONITORING)} | extra, service
            assert grpc == set()
        elif kind == "grpc":
            callers = {key(services_peer(CALLERS[service]))} if service in CALLERS else set()
            assert (http, grpc, metrics) == (set(), callers, {key(MONITORING)}), service
            # Consul checks health in the clear on the health-only port, and nothing else.
            assert allowed(mine, "ingress", 50052) == {key(CONSUL)}
        else:
            assert (http, grpc, metrics) == (set(), set(), {key(MONITORING)})


def test_egress_reaches_dns_the_dependencies_and_the_providers_only(chart):
    values = chart.profile_values("production")
    objects = chart.render("production")
    policies = chart.by_kind(objects, "NetworkPolicy")
    dependencies = values["networkPolicy"]["dependencies"]
    assert {d["name"] for d in dependencies} >= {"postgresql", "rabbitmq", "redis", "consul"}
    for _service, _kind, labels in pods(chart, objects):
        mine = selecting(policies, labels)
        assert len(allowed(mine, "egress", 53)) == 1
        for dep in dependencies:
            for port in dep["ports"]:
                assert {key(p) for p in dep["to"]} <= allowed(mine, "egress", port), dep["name"]
        providers = [json.loads(p) for p in allowed(mine, "egress", 587)]
        assert providers == [
            {
                "ipBlock": {
                    "cidr": "0.0.0.0/0",
                    "except": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"],
                }
            }
        ]


def test_the_ingress_serves_one_host_with_tls_limits_and_the_gateway_routes(chart):
    objects = chart.render("production")
    # The console's /admin/ Ingress is its own (test_chart_console.py).
    [ingress] = [i for i in chart.by_kind(objects, "Ingress") if i["metadata"]["name"] == "keel"]
    notes = ingress["metadata"]["annotations"]
    assert notes["cert-manager.io/cluster-issuer"]
    assert int(notes["nginx.ingress.kubernetes.io/limit-rps"]) > 0
    assert int(notes["nginx.ingress.kubernetes.io/limit-connections"]) > 0
    assert notes["nginx.ingress.kubernetes.io/proxy-body-size"] == "1m"
    [rule] = ingress["spec"]["rules"]
    assert rule["host"] == "api.keel.example.com"
    assert ingress["spec"]["tls"] == [{"hosts": [rule["host"]], "secretName": "keel-tls"}]
    services = {s["metadata"]["name"] for s in chart.by_kind(objects, "Service")}
    for path in rule["http"]["paths"]:
        backend = path["backend"]["service"]
        assert backend["name"] in services and backend["port"] == {"name": "http"}
        assert backend["name"].endswith("-web")
    exact = [p["path"] for p in rule["http"]["paths"] if p["pathType"] == "Exact"]
    assert exact == ["/.well-known/jwks.json"]


def test_a_combined_pod_is_reached_as_each_of_its_processes(chart):
    """search's embedded profile: web, grpc and worker in one pod (colocate)."""
    objects = chart.render("default")
    policies = chart.by_kind(objects, "NetworkPolicy")
    [(_, _, labels)] = [p for p in pods(chart, objects) if p[1] == "combined"]
    mine = selecting(policies, labels)
    assert allowed(mine, "ingress", 8080) == {key(CONTROLLER), key(MONITORING)}
    # Only auth calls search over gRPC (ExportUserData); search calls core's.
    assert allowed(mine, "ingress", 50051) == {key(services_peer(["auth"]))}
    assert allowed(mine, "ingress", 9100) == allowed(mine, "ingress", 9101) == {key(MONITORING)}
    [core_grpc] = [p[2] for p in pods(chart, objects) if p[:2] == ("core", "grpc")]
    grpc_peers = [json.loads(peer) for peer in allowed(mine, "egress", 50051)]
    assert [matches(peer["podSelector"], core_grpc) for peer in grpc_peers] == [True]
