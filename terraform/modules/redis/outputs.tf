output "primary_endpoint" {
  description = "Host name of the primary (REDIS_URL host; rediss:// for TLS)."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "user_secret_arns" {
  description = "Secrets Manager secrets with each service's Redis user ({username, password}), by service."
  value       = { for name, secret in aws_secretsmanager_secret.service : name => secret.arn }
}
