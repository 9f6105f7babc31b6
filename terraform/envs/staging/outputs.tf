output "helm_values" {
  description = "Values for the keel chart: `terraform output -raw helm_values > var/infra-<env>.yaml`."
  value       = module.platform.helm_values
}

output "cluster_name" {
  description = "EKS cluster name."
  value       = module.platform.cluster_name
}

output "service_secret_names" {
  description = "Secrets Manager secrets to fill per service."
  value       = module.platform.service_secret_names
}

output "data_endpoints" {
  description = "Managed data endpoints (production) for the service secrets."
  value       = module.platform.data_endpoints
}
