# Each service's secrets (DATABASE_URL, BROKER_URL, JWT_KEY_PASSPHRASE, SENTRY_DSN, provider keys) live
# in one Secrets Manager secret, keel/<env>/<service>, a JSON object of env names to values.
# Terraform creates the empty secrets and the role that reads them; the values are put by
# the SRE (docs/deploy.md) and never pass through Terraform state or values.yaml.
resource "aws_secretsmanager_secret" "service" {
  # checkov:skip=CKV2_AWS_57:Holds several credentials per service, each rotated at its source (docs/deploy.md)
  for_each = toset(local.services)

  name                    = "${local.secret_prefix}/${each.key}"
  description             = "Keel ${each.key} (${var.environment}): environment secrets"
  kms_key_id              = aws_kms_key.platform.arn
  recovery_window_in_days = 7
  tags                    = var.tags
}

# Staging's in-cluster Redis password (the SRE copies it here once, docs/deploy.md), from
# which the chart composes REDIS_URL; production's is the redis module's AUTH token secret.
resource "aws_secretsmanager_secret" "redis_password" {
  # checkov:skip=CKV2_AWS_57:Rotated with the in-cluster Redis release, by hand (docs/deploy.md)
  count = var.managed_data_services ? 0 : 1

  name                    = "${local.secret_prefix}/redis-auth"
  description             = "Keel ${var.environment}: password of the in-cluster Redis"
  kms_key_id              = aws_kms_key.platform.arn
  recovery_window_in_days = 7
  tags                    = var.tags
}

data "aws_iam_policy_document" "read_service_secrets" {
  statement {
    actions = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = concat(
      [for secret in aws_secretsmanager_secret.service : secret.arn],
      flatten([for redis in module.redis : values(redis.user_secret_arns)]),
      flatten([for broker in module.rabbitmq : values(broker.user_secret_arns)]),
      module.rabbitmq[*].admin_secret_arn,
      values(module.consul_acls.token_secret_arns),
      aws_secretsmanager_secret.redis_password[*].arn,
    )
  }
  statement {
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.platform.arn]
  }
}

# The chart's SecretStore authenticates as this service account (secrets.externalSecrets).
module "secrets_reader_role" {
  source = "../irsa-role"

  name              = "${local.name}-secrets-reader"
  oidc_provider_arn = module.eks.oidc_provider_arn
  service_accounts  = ["${var.app_namespace}:keel-secrets-reader"]
  inline_policy     = true
  policy_json       = data.aws_iam_policy_document.read_service_secrets.json
  tags              = var.tags
}

data "aws_iam_policy_document" "search" {
  statement {
    actions   = ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut", "es:ESHttpDelete"]
    resources = ["arn:aws:es:${var.region}:${local.account_id}:domain/${local.name}/*"]
  }
}

# The search service signs its OpenSearch requests with this role (and is the domain's admin).
module "search_role" {
  source = "../irsa-role"

  name              = "${local.name}-search"
  oidc_provider_arn = module.eks.oidc_provider_arn
  service_accounts  = ["${var.app_namespace}:keel-search"]
  inline_policy     = true
  policy_json       = data.aws_iam_policy_document.search.json
  tags              = var.tags
}
