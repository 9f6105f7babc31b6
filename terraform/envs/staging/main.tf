# Staging: the same platform as production, smaller, one NAT gateway, PostgreSQL, RabbitMQ
# and Redis in the cluster (deploy/helm/dependencies) rather than managed services.
locals {
  tags = {
    project     = "keel"
    environment = "staging"
    owner       = var.owner
    managed-by  = "terraform"
  }
}

module "platform" {
  source = "../../modules/platform"

  environment = "staging"
  region      = var.region
  azs         = var.azs
  vpc_cidr    = var.vpc_cidr

  single_nat_gateway      = true
  kubernetes_version      = "1.33"
  node_instance_types     = ["m7i.large", "m6i.large"]
  node_min_size           = 2
  node_max_size           = 5
  node_desired_size       = 3
  api_public_access       = true
  api_public_access_cidrs = var.api_public_access_cidrs
  admin_role_arns         = var.admin_role_arns

  managed_data_services = false
  multi_az              = false
  deletion_protection   = false
  # Sizes of the managed services: unused while managed_data_services is false.
  postgres = {
    engine_version           = "17.5"
    instance_class           = "db.t4g.medium"
    allocated_storage_gb     = 20
    max_allocated_storage_gb = 100
    backup_retention_days    = 3
  }
  rabbitmq   = { engine_version = "3.13", instance_type = "mq.t3.micro" }
  redis      = { node_type = "cache.t4g.small", snapshot_retention_days = 1 }
  opensearch = { engine_version = "OpenSearch_2.19", instance_type = "t3.small.search", instance_count = 1, volume_size_gb = 20 }

  ecr_registry          = var.ecr_registry
  api_hostname          = var.api_hostname
  acme_email            = var.acme_email
  prometheus_retention  = "7d"
  prometheus_storage_gb = 50
  tags                  = local.tags
}
