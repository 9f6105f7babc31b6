# kube-prometheus-stack: Prometheus, Alertmanager, Grafana, kube-state-metrics. It picks up
# the Keel chart's PodMonitor, PrometheusRule and dashboard ConfigMap by their labels
# (release: kube-prometheus-stack, grafana_dashboard: "1").
resource "random_password" "grafana_admin" {
  length  = 32
  special = false
}

resource "aws_secretsmanager_secret" "grafana_admin" {
  # checkov:skip=CKV2_AWS_57:Grafana reads its admin password once at start; rotate by re-applying with a new random_password
  name                    = "${var.secret_prefix}/grafana-admin"
  description             = "Grafana admin password (${var.environment})"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 7
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "grafana_admin" {
  secret_id     = aws_secretsmanager_secret.grafana_admin.id
  secret_string = random_password.grafana_admin.result
}

resource "helm_release" "kube_prometheus_stack" {
  name             = "kube-prometheus-stack"
  namespace        = "monitoring"
  create_namespace = true
  repository       = "https://prometheus-community.github.io/helm-charts"
  chart            = "kube-prometheus-stack"
  version          = "75.0.0"
  values = [yamlencode({
    prometheus = {
      prometheusSpec = {
        replicas  = var.high_availability ? 2 : 1
        retention = var.prometheus_retention
        storageSpec = {
          volumeClaimTemplate = {
            spec = {
              accessModes = ["ReadWriteOnce"]
              resources   = { requests = { storage = "${var.prometheus_storage_gb}Gi" } }
            }
          }
        }
      }
    }
    alertmanager = { alertmanagerSpec = { replicas = var.high_availability ? 2 : 1 } }
    grafana = {
      sidecar = { dashboards = { enabled = true, label = "grafana_dashboard", searchNamespace = "ALL" } }
    }
  })]
  set_sensitive = [{
    name  = "grafana.adminPassword"
    value = random_password.grafana_admin.result
  }]
}
