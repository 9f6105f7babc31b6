# Production: three zones end to end, one NAT gateway per zone, Multi-AZ RDS with deletion
# protection and 14 days of point-in-time recovery, a clustered broker, a Redis replica, a
# zone-aware OpenSearch domain.
locals {
  tags = {
    project     = "keel"
    environment = "production"
    owner       = var.owner
    managed-by  = "terraform"
  }
}

module "platform" {
  source = "../../modules/platform"

  environment = "production"
  region      = var.region
  azs         = var.azs
  vpc_cidr    = var.vpc_cidr

  single_nat_gateway      = false
  kubernetes_version      = "1.33"
  node_instance_types     = ["m7i.xlarge", "m6i.xlarge"]
  node_min_size           = 3
  node_max_size           = 12
  node_desired_size       = 6
  api_public_access       = true
  api_public_access_cidrs = var.api_public_access_cidrs
  admin_role_arns         = var.admin_role_arns

  managed_data_services = true
  multi_az              = true
  deletion_protection   = true
  postgres = {
    engine_version           = "17.5"
    instance_class           = "db.m7g.large"
    allocated_storage_gb     = 100
    max_allocated_storage_gb = 1000
    backup_retention_days    = 14
  }
  rabbitmq   = { engine_version = "3.13", instance_type = "mq.m5.large" }
  redis      = { node_type = "cache.m7g.large", snapshot_retention_days = 7 }
  opensearch = { engine_version = "OpenSearch_2.19", instance_type = "r7g.large.search", instance_count = 3, volume_size_gb = 100 }

  ecr_registry          = var.ecr_registry
  api_hostname          = var.api_hostname
  acme_email            = var.acme_email
  prometheus_retention  = "30d"
  prometheus_storage_gb = 200
  tags                  = local.tags
}
