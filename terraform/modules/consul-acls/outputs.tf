output "token_secret_arns" {
  description = "Secrets Manager secrets with each service's Consul token, by service."
  value       = { for name, secret in aws_secretsmanager_secret.service : name => secret.arn }
}
