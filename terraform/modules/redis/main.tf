# ElastiCache for Redis: rate limits and auth's session denylist, shared by every replica
# (REDIS_URL). TLS in transit, encrypted at rest, a replica in another zone in production.
# Access control (RBAC): one user per service that may touch only its own key prefixes
# (var.service_keys), so no service can delete auth's revocations or reset another's limits;
# the built-in "default" user is disabled. Each user's password is in
# <secret_prefix>/redis-<service> ({username, password}), from which the chart composes
# that service's REDIS_URL.
resource "random_password" "service" {
  for_each = var.service_keys

  length  = 48
  special = false
}

resource "aws_secretsmanager_secret" "service" {
  # checkov:skip=CKV2_AWS_57:ElastiCache user passwords are rotated by Terraform (taint the random_password), docs/deploy.md
  for_each = var.service_keys

  name                    = "${var.secret_prefix}/redis-${each.key}"
  description             = "ElastiCache user of ${each.key} in ${var.name}"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 7
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "service" {
  for_each = var.service_keys

  secret_id = aws_secretsmanager_secret.service[each.key].id
  secret_string = jsonencode({
    username = each.key
    password = random_password.service[each.key].result
  })
}

# Every user group must hold a user named "default"; this one can do nothing.
resource "aws_elasticache_user" "default" {
  user_id              = "${var.name}-default"
  user_name            = "default"
  access_string        = "off -@all"
  engine               = "redis"
  no_password_required = true
  tags                 = var.tags
}

resource "aws_elasticache_user" "service" {
  for_each = var.service_keys

  user_id   = "${var.name}-${each.key}"
  user_name = each.key
  # Own prefixes read-write, the others' read-only (%R~), no admin or key-space-wide command.
  # MULTI/EXEC (@transaction): the caches' generation keys are set with SET NX + GET in one
  # transaction (keel_common.cache.stores). Pub/sub only on channels under the own prefixes
  # (&), for the leases of the caches' copies in each process (keel_common.cache.near),
  # whose scripts also read the server's TIME.
  access_string = join(" ", concat(
    ["on"],
    [for prefix in each.value.read_write : "~${prefix}*"],
    [for prefix in each.value.read_only : "%R~${prefix}*"],
    [for prefix in each.value.read_write : "&${prefix}*"],
    ["-@all", "+@read", "+@write", "+@scripting", "+@connection", "+@transaction"],
    ["-@dangerous", "+publish", "+subscribe", "+unsubscribe", "+time"],
  ))
  engine = "redis"

  authentication_mode {
    type      = "password"
    passwords = [random_password.service[each.key].result]
  }

  tags = var.tags
}

resource "aws_elasticache_user_group" "this" {
  user_group_id = var.name
  engine        = "redis"
  user_ids = concat(
    [aws_elasticache_user.default.user_id],
    [for user in aws_elasticache_user.service : user.user_id],
  )
  tags = var.tags
}

resource "aws_elasticache_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
  tags       = var.tags
}

resource "aws_security_group" "this" {
  name        = "${var.name}-redis"
  description = "ElastiCache for ${var.name}: only the EKS nodes connect"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "redis" {
  for_each = toset(var.allowed_security_group_ids)

  security_group_id            = aws_security_group.this.id
  description                  = "Redis over TLS from the cluster"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = each.value
}

resource "aws_cloudwatch_log_group" "slow" {
  name              = "/elasticache/${var.name}/slow-log"
  retention_in_days = 365
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_elasticache_replication_group" "this" {
  # checkov:skip=CKV2_AWS_50:multi_az is per environment: production sets it (test_terraform.py checks)
  replication_group_id = var.name
  description          = "Rate limits and short-lived state of ${var.name}"
  engine               = "redis"
  engine_version       = "7.1"
  node_type            = var.node_type
  port                 = 6379

  num_cache_clusters         = var.multi_az ? 2 : 1
  automatic_failover_enabled = var.multi_az
  multi_az_enabled           = var.multi_az

  subnet_group_name  = aws_elasticache_subnet_group.this.name
  security_group_ids = [aws_security_group.this.id]

  at_rest_encryption_enabled = true
  kms_key_id                 = var.kms_key_arn
  transit_encryption_enabled = true
  user_group_ids             = [aws_elasticache_user_group.this.user_group_id]

  snapshot_retention_limit   = var.snapshot_retention_days
  snapshot_window            = "01:00-02:00"
  maintenance_window         = "sun:04:30-sun:05:30"
  auto_minor_version_upgrade = true
  apply_immediately          = false

  log_delivery_configuration {
    destination      = aws_cloudwatch_log_group.slow.name
    destination_type = "cloudwatch-logs"
    log_format       = "json"
    log_type         = "slow-log"
  }

  tags = var.tags
}
