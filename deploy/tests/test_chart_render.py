"""The chart lints, renders for every profile, and every object is valid Kubernetes."""

from __future__ import annotations

import re
from typing import Any

import helm_python
import kubernetes_validate
import pytest
import yaml

# Kinds from CRDs (prometheus-operator, External Secrets Operator, cert-manager, RabbitMQ
# Messaging Topology Operator):
# kubernetes-validate ships only the built-in API schemas, so these get their own structural
# checks in other tests.
CUSTOM_KINDS = {
    ("monitoring.coreos.com/v1", "PodMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
    ("external-secrets.io/v1", "ExternalSecret"),
    ("external-secrets.io/v1", "SecretStore"),
    ("cert-manager.io/v1", "Certificate"),
    ("rabbitmq.com/v1beta1", "User"),
    ("rabbitmq.com/v1beta1", "Permission"),
    ("rabbitmq.com/v1beta1", "TopicPermission"),
}
SECRET_NAME = re.compile(
    r"PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_KEY|PRIVATE_KEY|CREDENTIAL|DSN"
)


def test_chart_lints_clean_in_strict_mode_for_every_profile(chart, profile):
    report = helm_python.lint(
        chart.path,
        chart.profile_values(profile),
        strict=True,
        kube_version=f"v{chart.kube_version}.0",
    )
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert report["errors"] == [] and problems == [], report


def test_every_object_is_valid_for_the_kubernetes_api(chart, profile):
    objects = chart.render(profile)
    assert objects
    for obj in objects:
        if (obj["apiVersion"], obj["kind"]) in CUSTOM_KINDS:
            continue
        # strict: unknown fields (a typo in a template) are errors, as the API server says.
        kubernetes_validate.validate(obj, chart.kube_version, strict=True)


def test_only_known_custom_resources_are_rendered(chart, profile):
    builtin_groups = ("v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v2")
    builtin_groups += ("networking.k8s.io/v1",)
    for obj in chart.render(profile):
        if obj["apiVersion"] not in builtin_groups:
            assert (obj["apiVersion"], obj["kind"]) in CUSTOM_KINDS


def test_the_chart_renders_no_secret_and_no_secret_values(chart, profile):
    objects = chart.render(profile)
    assert not [o for o in objects if o["kind"] == "Secret"]
    for cm in chart.by_kind(objects, "ConfigMap"):
        leaked = [k for k in cm.get("data", {}) if SECRET_NAME.search(k)]
        assert leaked == [], (cm["metadata"]["name"], leaked)
    for obj in objects:
        for container in _containers(obj):
            inline = [e["name"] for e in container.get("env", []) if "value" in e]
            assert not [n for n in inline if SECRET_NAME.search(n)], container["name"]


def test_values_files_hold_no_secret_values(chart):
    for path in [chart.path / "values.yaml", *sorted(chart.path.glob("values-*.yaml"))]:
        for key, value in _walk(yaml.safe_load(path.read_text())):
            leaf = isinstance(value, str | int | float) and value != ""
            if leaf and SECRET_NAME.search(key.upper()):
                pytest.fail(f"{path.name}: {key} has a value; secrets come from Secrets")


@pytest.mark.parametrize(
    ("override", "complaint"),
    [
        ({"surprise": True}, "additional properties 'surprise'"),
        ({"defaults": {"web": {"replicas": "two"}}}, "/defaults/web/replicas"),
        ({"config": {"DATABASE_PASSWORD": "hunter2"}}, "propertyName 'DATABASE_PASSWORD'"),
        ({"services": {"auth": {"env": {"SENTRY_DSN": "https://x"}}}}, "propertyName 'SENTRY_DSN'"),
        (
            {"services": {"auth": {"env": {"JWT_KEY_PASSPHRASE": "x"}}}},
            "propertyName 'JWT_KEY_PASSPHRASE'",
        ),
        (
            {"services": {"auth": {"env": {"OIDC_CLIENT_SECRETS": "{}"}}}},
            "propertyName 'OIDC_CLIENT_SECRETS'",
        ),
        (
            {"services": {"auth": {"env": {"OIDC_APPLE_PRIVATE_KEY": "x"}}}},
            "propertyName 'OIDC_APPLE_PRIVATE_KEY'",
        ),
        ({"secrets": {"redis": {"enabled": True, "host": ""}}}, "/secrets/redis"),
        ({"discovery": {"mode": "consul", "consulAddr": ""}}, "/discovery/consulAddr"),
        ({"secrets": {"externalSecrets": {"enabled": True, "roleArn": ""}}}, "externalSecrets"),
        ({"routes": {"search": ["v1/search/"]}}, "/routes/search/0"),
        (
            {"services": {"notification": {"jobs": [{"name": "x", "schedule": "daily"}]}}},
            "schedule",
        ),
        ({"topologySpread": {"zone": "Sometimes"}}, "/topologySpread/zone"),
    ],
)
def test_the_schema_rejects_bad_values_at_install(chart, override, complaint):
    with pytest.raises(helm_python.HelmValuesError, match=re.escape(complaint)):
        chart.render_values(override)


def test_the_profiles_pass_the_schema(chart, profile):
    with helm_python.Chart.load(chart.path) as loaded:
        loaded.validate_schema(chart.profile_values(profile))


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = obj.get("spec", {})
    if obj["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    pod = spec.get("template", {}).get("spec", {})
    return list(pod.get("containers", [])) + list(pod.get("initContainers", []))


def _walk(node: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if not isinstance(node, dict):
        return []
    pairs: list[tuple[str, Any]] = []
    for key, value in node.items():
        pairs.append((str(key), value))
        pairs.extend(_walk(value, f"{prefix}{key}."))
    return pairs
