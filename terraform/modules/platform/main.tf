# One environment: network, cluster, data services, secrets, add-ons. The env roots
# (terraform/envs/<env>) only choose sizes; `helm_values` hands the results to the chart.
data "aws_caller_identity" "current" {}

locals {
  name          = "keel-${var.environment}"
  secret_prefix = "keel/${var.environment}"
  services      = ["auth", "core", "notification", "search"]
  # Redis keys per service (docs/deploy.md "Trust inside"): auth owns the session denylist
  # (keel:auth:revoked-session:*) and its rate limits; the token verifiers of the others only
  # read the denylist. LIMITS:<namespace>/ is where the `limits` library keeps counters (its
  # RedisStorage prefix "LIMITS" + the namespace of keel_auth.adapters.throttle).
  redis_service_keys = { for svc in local.services : svc => {
    read_write = ["keel:${svc}:", "LIMITS:keel-${svc}/"]
    read_only  = contains(["auth"], svc) ? [] : ["keel:auth:revoked-session:"]
  } }
  account_id = data.aws_caller_identity.current.account_id
}

module "network" {
  source = "../network"

  name               = local.name
  cidr               = var.vpc_cidr
  azs                = var.azs
  single_nat_gateway = var.single_nat_gateway
  cluster_name       = local.name
  tags               = var.tags
}

module "eks" {
  source = "../eks"

  name                         = local.name
  kubernetes_version           = var.kubernetes_version
  vpc_id                       = module.network.vpc_id
  subnet_ids                   = module.network.private_subnet_ids
  endpoint_public_access       = var.api_public_access
  endpoint_public_access_cidrs = var.api_public_access_cidrs
  node_instance_types          = var.node_instance_types
  node_min_size                = var.node_min_size
  node_max_size                = var.node_max_size
  node_desired_size            = var.node_desired_size
  admin_role_arns              = var.admin_role_arns
  kms_key_arn                  = aws_kms_key.platform.arn
  tags                         = var.tags
}

# Consul ACL tokens per service (default deny, set by the consul release in addons). core
# reads its app-version thresholds (APP_VERSIONS_CONSUL_KEY) and nothing else.
module "consul_acls" {
  source = "../consul-acls"

  name          = local.name
  services      = { for svc in local.services : svc => { read_keys = contains(["core"], svc) ? ["keel/core/app-versions"] : [] } }
  secret_prefix = local.secret_prefix
  kms_key_arn   = aws_kms_key.platform.arn
  tags          = var.tags

  depends_on = [module.addons]
}

module "addons" {
  source = "../addons"

  environment           = var.environment
  high_availability     = var.multi_az
  acme_email            = var.acme_email
  app_namespaces        = var.managed_data_services ? { (var.app_namespace) = "restricted" } : { (var.app_namespace) = "restricted", "keel-data" = "baseline" }
  prometheus_retention  = var.prometheus_retention
  prometheus_storage_gb = var.prometheus_storage_gb
  secret_prefix         = local.secret_prefix
  kms_key_arn           = aws_kms_key.platform.arn
  tags                  = var.tags

  depends_on = [module.eks]
}
