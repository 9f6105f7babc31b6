# Managed data services, production only (the staging profile runs them in the cluster).
module "postgres" {
  source = "../postgres"
  count  = var.managed_data_services ? 1 : 0

  name                       = local.name
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.data_subnet_ids
  allowed_security_group_ids = [module.eks.node_security_group_id]
  multi_az                   = var.multi_az
  kms_key_arn                = aws_kms_key.platform.arn
  engine_version             = var.postgres.engine_version
  instance_class             = var.postgres.instance_class
  allocated_storage_gb       = var.postgres.allocated_storage_gb
  max_allocated_storage_gb   = var.postgres.max_allocated_storage_gb
  backup_retention_days      = var.postgres.backup_retention_days
  deletion_protection        = var.deletion_protection
  tags                       = var.tags
}

module "rabbitmq" {
  source = "../rabbitmq"
  count  = var.managed_data_services ? 1 : 0

  name                       = local.name
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.data_subnet_ids
  allowed_security_group_ids = [module.eks.node_security_group_id]
  multi_az                   = var.multi_az
  kms_key_arn                = aws_kms_key.platform.arn
  engine_version             = var.rabbitmq.engine_version
  instance_type              = var.rabbitmq.instance_type
  secret_prefix              = local.secret_prefix
  services                   = local.services
  tags                       = var.tags
}

module "redis" {
  source = "../redis"
  count  = var.managed_data_services ? 1 : 0

  name                       = local.name
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.data_subnet_ids
  allowed_security_group_ids = [module.eks.node_security_group_id]
  multi_az                   = var.multi_az
  kms_key_arn                = aws_kms_key.platform.arn
  node_type                  = var.redis.node_type
  snapshot_retention_days    = var.redis.snapshot_retention_days
  secret_prefix              = local.secret_prefix
  service_keys               = local.redis_service_keys
  tags                       = var.tags
}

module "opensearch" {
  source = "../opensearch"
  count  = var.managed_data_services ? 1 : 0

  name                       = local.name
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.data_subnet_ids
  allowed_security_group_ids = [module.eks.node_security_group_id]
  multi_az                   = var.multi_az
  kms_key_arn                = aws_kms_key.platform.arn
  engine_version             = var.opensearch.engine_version
  instance_type              = var.opensearch.instance_type
  instance_count             = var.opensearch.instance_count
  volume_size_gb             = var.opensearch.volume_size_gb
  master_role_arn            = module.search_role.arn
  tags                       = var.tags
}
