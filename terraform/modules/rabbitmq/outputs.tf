output "amqps_endpoint" {
  description = "AMQPS endpoint of the broker (BROKER_URL host and port)."
  value       = aws_mq_broker.this.instances[0].endpoints[0]
}

output "admin_secret_arn" {
  description = "Secrets Manager secret with the broker's admin user."
  value       = aws_secretsmanager_secret.admin.arn
}
