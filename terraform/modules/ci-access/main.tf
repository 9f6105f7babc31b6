# GitLab CI gets short-lived AWS credentials through OIDC instead of stored keys:
#   keel-ci-images     push images (default branch)
#   keel-ci-deploy     describe EKS clusters; EKS access entries grant it the cluster
#   keel-ci-tf-plan    read-only + state, for plans on any branch
#   keel-ci-tf-apply   administrator, default branch only (the job is manual)
locals {
  host      = replace(var.gitlab_url, "https://", "")
  main_only = ["project_path:${var.project_path}:ref_type:branch:ref:${var.default_branch}"]
  any_ref   = ["project_path:${var.project_path}:ref_type:*:ref:*"]
}

resource "aws_iam_openid_connect_provider" "gitlab" {
  url            = var.gitlab_url
  client_id_list = [var.gitlab_url]
  tags           = var.tags
}

data "aws_iam_policy_document" "assume_main" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.gitlab.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.host}:sub"
      values   = local.main_only
    }
  }
}

data "aws_iam_policy_document" "assume_any_ref" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.gitlab.arn]
    }
    condition {
      test     = "StringLike"
      variable = "${local.host}:sub"
      values   = local.any_ref
    }
  }
}

data "aws_iam_policy_document" "images" {
  statement {
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    actions = [
      "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
      "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart", "ecr:DescribeImages",
      "ecr:DescribeImageScanFindings",
    ]
    resources = var.ecr_repository_arns
  }
  statement {
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role" "images" {
  name               = "keel-ci-images"
  assume_role_policy = data.aws_iam_policy_document.assume_main.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "images" {
  name   = "push-images"
  role   = aws_iam_role.images.id
  policy = data.aws_iam_policy_document.images.json
}

data "aws_iam_policy_document" "deploy" {
  statement {
    actions   = ["eks:DescribeCluster"]
    resources = ["arn:aws:eks:*:*:cluster/keel-*"]
  }
}

resource "aws_iam_role" "deploy" {
  name               = "keel-ci-deploy"
  assume_role_policy = data.aws_iam_policy_document.assume_main.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "deploy" {
  name   = "find-clusters"
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.deploy.json
}

data "aws_iam_policy_document" "state" {
  statement {
    actions   = ["s3:ListBucket"]
    resources = [var.state_bucket_arn]
  }
  statement {
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${var.state_bucket_arn}/*"]
  }
  statement {
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role" "tf_plan" {
  name               = "keel-ci-tf-plan"
  assume_role_policy = data.aws_iam_policy_document.assume_any_ref.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "tf_plan_read" {
  role       = aws_iam_role.tf_plan.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_role_policy" "tf_plan_state" {
  name   = "terraform-state"
  role   = aws_iam_role.tf_plan.id
  policy = data.aws_iam_policy_document.state.json
}

resource "aws_iam_role" "tf_apply" {
  # checkov:skip=CKV_AWS_274:Terraform creates IAM, EKS, RDS and more; apply runs only from the protected default branch, by hand
  name               = "keel-ci-tf-apply"
  assume_role_policy = data.aws_iam_policy_document.assume_main.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "tf_apply_admin" {
  # checkov:skip=CKV_AWS_274:see the role: applying the whole platform needs administrator rights
  role       = aws_iam_role.tf_apply.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
