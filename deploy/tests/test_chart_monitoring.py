"""Every /metrics endpoint is scraped; alerts, runbooks and dashboard agree with the code."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "deploy/helm/keel/files/alerts/keel.rules.yaml"
RULE_TESTS = REPO / "deploy/tests/alerts/keel.rules.test.yaml"
DASHBOARD = REPO / "deploy/helm/keel/files/dashboards/keel.json"
METRICS_PY = REPO / "libs/common/src/keel_common/metrics.py"
RUNBOOKS = REPO / "docs/runbooks"
DEFAULT_RUNBOOK_BASE = "https://gitlab.com/keel-platform/keel/-/blob/main/docs/runbooks"

# Counters the services define themselves (named in the "Ship it" issue), plus the
# kube-state-metrics and RabbitMQ series the alerts and dashboard read.
SERVICE_METRICS = {
    "keel_auth_login_failures_total",
    "keel_auth_otp_sms_sent_total",
    "keel_notification_deliveries_total",
    "keel_search_index_lag_seconds",
    "keel_core_product_cache_invalidations_total",
    "keel_auth_account_view_cache_invalidations_total",
}
REQUIRED_ALERTS = {
    "KeelErrorBudgetBurnFast",
    "KeelErrorBudgetBurnSlow",
    "KeelLatencyBudgetBurnFast",
    "KeelLatencyBudgetBurnSlow",
    "KeelDeadLetterQueueGrowing",
    "KeelOutboxBacklog",
    "KeelConsumerDown",
    "KeelSearchIndexLagHigh",
    "KeelNotificationFailureRate",
    "KeelCacheInvalidationsFailing",
    "KeelAuthBruteForce",
    "KeelAuthOtpSmsSpike",
    "KeelPodCrashLooping",
}


def alerts() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [r for g in groups for r in g["rules"] if "alert" in r]


def test_rules_pass_promtool_check(tool):
    subprocess.run([tool("promtool"), "check", "rules", str(RULES)], check=True)


def test_every_alert_fires_and_stays_silent_in_promtool_unit_tests(tool):
    result = subprocess.run(
        [tool("promtool"), "test", "rules", str(RULE_TESTS)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    tested = set(re.findall(r"alertname: (\w+)", RULE_TESTS.read_text()))
    assert tested == {a["alert"] for a in alerts()}


def test_the_required_alerts_exist_with_severity_text_and_a_runbook():
    assert {a["alert"] for a in alerts()} == REQUIRED_ALERTS
    for alert in alerts():
        name = alert["alert"]
        assert alert["labels"]["severity"] in {"critical", "warning"}, name
        assert alert["annotations"]["summary"] and alert["annotations"]["description"]
        assert alert["annotations"]["runbook_url"] == f"{DEFAULT_RUNBOOK_BASE}/{name}.md"
        runbook = (RUNBOOKS / f"{name}.md").read_text()
        assert runbook.startswith(f"# {name}\n"), name
        assert "## Diagnosis" in runbook and "## Mitigation" in runbook, name


def test_burn_rate_alerts_use_both_windows_of_the_sre_workbook():
    exprs = {a["alert"]: a["expr"] for a in alerts()}
    for sli, budget in (("Error", "0.001"), ("Latency", "0.01")):
        fast, slow = exprs[f"Keel{sli}BudgetBurnFast"], exprs[f"Keel{sli}BudgetBurnSlow"]
        assert "rate1h" in fast and "rate5m" in fast and f"(14.4 * {budget})" in fast
        assert "rate6h" in slow and "rate30m" in slow and f"(6 * {budget})" in slow


def test_rules_and_dashboard_use_only_metrics_that_exist():
    defined = set(re.findall(r'"(keel_[a-z_]+)"', METRICS_PY.read_text())) | SERVICE_METRICS
    groups = yaml.safe_load(RULES.read_text())["groups"]
    exprs = [r["expr"] for g in groups for r in g["rules"]]
    panels = json.loads(DASHBOARD.read_text())["panels"]
    exprs += [t["expr"] for p in panels for t in p.get("targets", [])]
    used = set(re.findall(r"\bkeel_[a-z_]+", " ".join(exprs)))
    suffixes = ("_bucket", "_count", "_sum")
    unknown = {
        m for m in used if m not in defined and m.removesuffix(_suffix(m, suffixes)) not in defined
    }
    assert unknown == set()


def test_the_prometheusrule_embeds_the_rules_file_with_the_runbook_base(chart):
    [rule] = chart.by_kind(chart.render("default"), "PrometheusRule")
    assert rule["spec"] == yaml.safe_load(RULES.read_text())
    values = {"monitoring": {"prometheusRule": {"runbookBaseUrl": "https://runbooks.example/keel"}}}
    [moved] = chart.by_kind(chart.render_values(values), "PrometheusRule")
    urls = {
        r["annotations"]["runbook_url"]
        for g in moved["spec"]["groups"]
        for r in g["rules"]
        if "alert" in r
    }
    assert urls == {f"https://runbooks.example/keel/{name}.md" for name in REQUIRED_ALERTS}


def test_the_podmonitor_scrapes_every_process(chart, profile):
    objects = chart.render(profile)
    monitors = chart.by_kind(objects, "PodMonitor")
    if profile == "minimal":
        assert monitors == []
        return
    [monitor] = monitors
    selector = monitor["spec"]["selector"]
    ports = {e["port"] for e in monitor["spec"]["podMetricsEndpoints"]}
    assert all(
        e["path"] == "/metrics" and e["honorLabels"] for e in monitor["spec"]["podMetricsEndpoints"]
    )
    for deploy in chart.by_kind(objects, "Deployment"):
        labels = deploy["spec"]["template"]["metadata"]["labels"]
        assert all(labels.get(k) == v for k, v in selector["matchLabels"].items())
        [expression] = selector["matchExpressions"]
        assert labels[expression["key"]] in expression["values"]
        for container in deploy["spec"]["template"]["spec"]["containers"]:
            assert ports & {p["name"] for p in container["ports"]}, container["name"]
            # `up{process="worker"}` (KeelConsumerDown) needs the kind, also in a combined pod.
            assert _process_label(monitor, container["name"]) == container["args"][0]


def _process_label(monitor: dict[str, Any], container: str) -> str | None:
    """The `process` target label Prometheus derives for a container (full-match regex)."""
    [relabel] = [
        r
        for r in monitor["spec"]["podMetricsEndpoints"][0]["relabelings"]
        if r["targetLabel"] == "process"
    ]
    assert relabel["sourceLabels"] == ["__meta_kubernetes_pod_container_name"]
    match = re.fullmatch(relabel["regex"], container)
    return match.group(1) if match else None


def test_the_dashboard_shows_red_per_service_queues_and_lag(chart):
    [cm] = [
        c
        for c in chart.by_kind(chart.render("default"), "ConfigMap")
        if c["metadata"]["name"] == "keel-dashboards"
    ]
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard = json.loads(cm["data"]["keel.json"])
    assert dashboard == json.loads(DASHBOARD.read_text())
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p.get("targets", []))
    for needed in (
        "keel_http_requests_total",
        "keel_http_request_errors_total",
        "keel_http_request_duration_seconds_bucket",
        "keel_grpc_requests_total",
        "rabbitmq_queue_messages_ready",
        "keel_outbox_backlog",
        "keel_search_index_lag_seconds_bucket",
    ):
        assert needed in exprs, needed
    assert "by (service)" in exprs


def _suffix(name: str, suffixes: tuple[str, ...]) -> str:
    return next((s for s in suffixes if name.endswith(s)), "")
