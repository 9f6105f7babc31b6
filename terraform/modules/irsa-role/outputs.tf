output "arn" {
  description = "ARN of the role, for the service account annotation eks.amazonaws.com/role-arn."
  value       = aws_iam_role.this.arn
}

output "name" {
  description = "Name of the role."
  value       = aws_iam_role.this.name
}
