output "address" {
  description = "Host name of the database (DATABASE_URL host)."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "Port of the database."
  value       = aws_db_instance.this.port
}

output "master_user_secret_arn" {
  description = "Secrets Manager secret holding the master user's password (managed by RDS)."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}
