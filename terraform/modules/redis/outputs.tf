output "primary_endpoint" {
  description = "Host name of the primary (REDIS_URL host; rediss:// for TLS)."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "auth_secret_arn" {
  description = "Secrets Manager secret with the AUTH token."
  value       = aws_secretsmanager_secret.auth.arn
}
