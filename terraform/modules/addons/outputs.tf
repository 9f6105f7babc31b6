output "consul_http_addr" {
  description = "Consul HTTP API inside the cluster, for the chart's discovery.consulAddr."
  value       = "consul-server.consul.svc:8500"
}

output "grafana_admin_secret_arn" {
  description = "Secrets Manager secret with Grafana's admin password."
  value       = aws_secretsmanager_secret.grafana_admin.arn
}
