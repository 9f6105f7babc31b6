output "registry" {
  description = "Registry host for the chart's image.registry, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com."
  value       = split("/", values(aws_ecr_repository.this)[0].repository_url)[0]
}

output "repository_urls" {
  description = "Repository URL per service."
  value       = { for name, repo in aws_ecr_repository.this : name => repo.repository_url }
}
