# What exists once per AWS organisation, before any environment: the Terraform state bucket,
# the image registry, and the roles GitLab CI assumes.
locals {
  tags = {
    project    = "keel"
    owner      = var.owner
    managed-by = "terraform"
    stack      = "bootstrap"
  }
}

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "kms" {
  # checkov:skip=CKV_AWS_109:A key policy's "*" resource is the key itself
  # checkov:skip=CKV_AWS_111:A key policy's "*" resource is the key itself
  # checkov:skip=CKV_AWS_356:A key policy's "*" resource is the key itself
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  # Nodes in the environment accounts decrypt the image layers they pull.
  dynamic "statement" {
    for_each = toset(var.environment_account_ids)
    content {
      sid       = "Account${statement.value}DecryptsImages"
      actions   = ["kms:Decrypt", "kms:DescribeKey"]
      resources = ["*"]
      principals {
        type        = "AWS"
        identifiers = ["arn:aws:iam::${statement.value}:root"]
      }
    }
  }
}

resource "aws_kms_key" "bootstrap" {
  description             = "Keel: Terraform state and container images"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json
}

resource "aws_kms_alias" "bootstrap" {
  name          = "alias/keel-bootstrap"
  target_key_id = aws_kms_key.bootstrap.key_id
}

module "ecr" {
  source = "../modules/ecr"

  cross_account_pull = var.share_images
  pull_account_ids   = var.environment_account_ids
  kms_key_arn        = aws_kms_key.bootstrap.arn
  tags               = local.tags
}

module "ci_access" {
  source = "../modules/ci-access"

  project_path        = var.gitlab_project_path
  state_bucket_arn    = aws_s3_bucket.state.arn
  ecr_repository_arns = [for url in values(module.ecr.repository_urls) : "arn:aws:ecr:${var.region}:${data.aws_caller_identity.current.account_id}:repository/${split("/", url)[1]}"]
  kms_key_arn         = aws_kms_key.bootstrap.arn
  tags                = local.tags
}
