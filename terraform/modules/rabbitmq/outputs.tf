output "amqps_endpoint" {
  description = "AMQPS endpoint of the broker (BROKER_URL host and port)."
  value       = aws_mq_broker.this.instances[0].endpoints[0]
}

output "admin_secret_arn" {
  description = "Secrets Manager secret with the broker's admin user."
  value       = aws_secretsmanager_secret.admin.arn
}

output "management_url" {
  description = "HTTPS address of the broker's management API (the topology operator's connection)."
  value       = aws_mq_broker.this.instances[0].console_url
}

output "user_secret_arns" {
  description = "Secrets Manager secrets with each service's broker user ({username, password}), by service."
  value       = { for name, secret in aws_secretsmanager_secret.service : name => secret.arn }
}
