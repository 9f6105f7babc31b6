locals {
  data_peers = [for cidr in module.network.data_subnet_cidrs : { ipBlock = { cidr = cidr } }]
  consul_peer = {
    namespaceSelector = { matchLabels = { "kubernetes.io/metadata.name" = "consul" } }
    podSelector       = { matchLabels = { app = "consul", component = "server" } }
  }

  # What every environment hands the chart.
  base_values = {
    image   = { registry = var.ecr_registry }
    ingress = { host = var.api_hostname }
    secrets = { externalSecrets = { region = var.region, roleArn = module.secrets_reader_role.arn } }
    services = {
      search = { serviceAccount = { annotations = {
        "eks.amazonaws.com/role-arn" = module.search_role.arn
      } } }
      core = local.core_values
    }
  }

  # Managed services: where the pods may connect, where every service finds Redis (the
  # chart composes REDIS_URL with the AUTH token in <secret_prefix>/redis-auth) and where
  # search finds OpenSearch. merge() is shallow, so `secrets` repeats base_values' part.
  managed_values = {
    secrets = {
      externalSecrets = local.base_values.secrets.externalSecrets
      redis           = { host = one(module.redis[*].primary_endpoint) }
      broker          = { managementUrl = one(module.rabbitmq[*].management_url) }
    }
    networkPolicy = { dependencies = [
      { name = "postgresql", ports = [5432], to = local.data_peers },
      { name = "rabbitmq", ports = [5671], to = local.data_peers },
      { name = "redis", ports = [6379], to = local.data_peers },
      { name = "opensearch", ports = [443], to = local.data_peers },
      { name = "consul", ports = [8500], to = [local.consul_peer] },
    ] }
    services = {
      search = {
        env = { OPENSEARCH_URL = one(module.opensearch[*].endpoint) }
        serviceAccount = { annotations = {
          "eks.amazonaws.com/role-arn" = module.search_role.arn
        } }
      }
      core = local.core_values
    }
  }
}

output "helm_values" {
  description = "Values for the keel chart, layered after values-<env>.yaml by `make deploy`."
  # Encoded twice so the two object shapes can meet in one conditional.
  value = yamlencode(merge(local.base_values, jsondecode(var.managed_data_services ? jsonencode(local.managed_values) : "{}")))
}

output "cluster_name" {
  description = "EKS cluster name (aws eks update-kubeconfig --name ...)."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "Kubernetes API URL."
  value       = module.eks.cluster_endpoint
}

output "cluster_certificate_authority_data" {
  description = "Kubernetes API CA, base64."
  value       = module.eks.cluster_certificate_authority_data
}

output "service_secret_names" {
  description = "Secrets Manager secrets to fill for each service (docs/deploy.md)."
  value       = { for name, secret in aws_secretsmanager_secret.service : name => secret.name }
}

output "data_endpoints" {
  description = "Managed endpoints to build DATABASE_URL, BROKER_URL and REDIS_URL from (null in staging)."
  value = {
    postgres   = one(module.postgres[*].address)
    rabbitmq   = one(module.rabbitmq[*].amqps_endpoint)
    redis      = one(module.redis[*].primary_endpoint)
    opensearch = one(module.opensearch[*].endpoint)
  }
}
