# Product images (#18): the bucket (and its CDN) and the role core's pods assume to use it.
module "media" {
  source = "../media"

  name           = "${local.name}-media-${local.account_id}"
  upload_origins = var.media_upload_origins
  cdn            = var.media_cdn
  force_destroy  = false
  tags           = var.tags
}

module "core_role" {
  source = "../irsa-role"

  name              = "${local.name}-core"
  oidc_provider_arn = module.eks.oidc_provider_arn
  service_accounts  = ["${var.app_namespace}:keel-core"]
  inline_policy     = true
  policy_json       = module.media.core_policy_json
  tags              = var.tags
}

locals {
  # Core's part of helm_values (outputs.tf), the same in every environment.
  core_values = {
    serviceAccount = { annotations = { "eks.amazonaws.com/role-arn" = module.core_role.arn } }
    env = {
      MEDIA_STORE      = "s3"
      MEDIA_BUCKET     = module.media.bucket
      MEDIA_S3_REGION  = var.region
      MEDIA_PUBLIC_URL = module.media.public_url
    }
  }
}
