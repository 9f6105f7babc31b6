# An OpenSearch domain inside the VPC for search at scale: HTTPS only, encrypted at rest and
# between nodes, fine-grained access control with the search service's IAM role as admin.
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  domain_arn = "arn:aws:es:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:domain/${var.name}"
}

resource "aws_security_group" "this" {
  name        = "${var.name}-opensearch"
  description = "OpenSearch for ${var.name}: only the EKS nodes connect"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "https" {
  for_each = toset(var.allowed_security_group_ids)

  security_group_id            = aws_security_group.this.id
  description                  = "HTTPS from the cluster"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = each.value
}

resource "aws_cloudwatch_log_group" "this" {
  for_each = toset(["INDEX_SLOW_LOGS", "SEARCH_SLOW_LOGS", "ES_APPLICATION_LOGS", "AUDIT_LOGS"])

  name              = "/opensearch/${var.name}/${lower(each.key)}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "logs" {
  statement {
    actions   = ["logs:PutLogEvents", "logs:CreateLogStream"]
    resources = [for group in aws_cloudwatch_log_group.this : "${group.arn}:*"]
    principals {
      type        = "Service"
      identifiers = ["es.amazonaws.com"]
    }
  }
}

resource "aws_cloudwatch_log_resource_policy" "this" {
  policy_name     = "${var.name}-opensearch"
  policy_document = data.aws_iam_policy_document.logs.json
}

data "aws_iam_policy_document" "access" {
  statement {
    actions   = ["es:ESHttp*"]
    resources = ["${local.domain_arn}/*"]
    principals {
      type        = "AWS"
      identifiers = [var.master_role_arn]
    }
  }
}

resource "aws_opensearch_domain" "this" {
  # checkov:skip=CKV2_AWS_59:Staging runs one node without masters; production (multi_az) has three dedicated masters
  # checkov:skip=CKV_AWS_318:Same: dedicated masters exist only where multi_az is true (production)
  domain_name     = var.name
  engine_version  = var.engine_version
  access_policies = data.aws_iam_policy_document.access.json

  cluster_config {
    instance_type          = var.instance_type
    instance_count         = var.instance_count
    zone_awareness_enabled = var.multi_az

    # Three dedicated masters (one per zone) keep the cluster electing through a zone loss.
    dedicated_master_enabled = var.multi_az
    dedicated_master_count   = var.multi_az ? 3 : null
    dedicated_master_type    = var.multi_az ? var.master_instance_type : null

    dynamic "zone_awareness_config" {
      for_each = var.multi_az ? [3] : []
      content {
        availability_zone_count = zone_awareness_config.value
      }
    }
  }

  vpc_options {
    subnet_ids         = var.multi_az ? var.subnet_ids : slice(var.subnet_ids, 0, 1)
    security_group_ids = [aws_security_group.this.id]
  }

  ebs_options {
    ebs_enabled = true
    volume_type = "gp3"
    volume_size = var.volume_size_gb
  }

  encrypt_at_rest {
    enabled    = true
    kms_key_id = var.kms_key_arn
  }

  node_to_node_encryption {
    enabled = true
  }

  domain_endpoint_options {
    enforce_https       = true
    tls_security_policy = "Policy-Min-TLS-1-2-PFS-2023-10"
  }

  advanced_security_options {
    enabled                        = true
    anonymous_auth_enabled         = false
    internal_user_database_enabled = false
    master_user_options {
      master_user_arn = var.master_role_arn
    }
  }

  software_update_options {
    auto_software_update_enabled = true
  }

  log_publishing_options {
    log_type                 = "INDEX_SLOW_LOGS"
    enabled                  = true
    cloudwatch_log_group_arn = aws_cloudwatch_log_group.this["INDEX_SLOW_LOGS"].arn
  }

  log_publishing_options {
    log_type                 = "SEARCH_SLOW_LOGS"
    enabled                  = true
    cloudwatch_log_group_arn = aws_cloudwatch_log_group.this["SEARCH_SLOW_LOGS"].arn
  }

  log_publishing_options {
    log_type                 = "ES_APPLICATION_LOGS"
    enabled                  = true
    cloudwatch_log_group_arn = aws_cloudwatch_log_group.this["ES_APPLICATION_LOGS"].arn
  }

  log_publishing_options {
    log_type                 = "AUDIT_LOGS"
    enabled                  = true
    cloudwatch_log_group_arn = aws_cloudwatch_log_group.this["AUDIT_LOGS"].arn
  }

  tags = var.tags

  depends_on = [aws_cloudwatch_log_resource_policy.this]
}
