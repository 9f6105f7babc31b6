output "state_bucket" {
  description = "TF_STATE_BUCKET for `make tf-plan` / `make tf-apply` and the CI variables."
  value       = aws_s3_bucket.state.bucket
}

output "ecr_registry" {
  description = "Registry host: the env roots' ecr_registry and CI's IMAGE_REGISTRY."
  value       = module.ecr.registry
}

output "ci_role_arns" {
  description = "Roles for the GitLab CI variables (AWS_ROLE_ARN per job family)."
  value = {
    images   = module.ci_access.images_role_arn
    deploy   = module.ci_access.deploy_role_arn
    tf_plan  = module.ci_access.tf_plan_role_arn
    tf_apply = module.ci_access.tf_apply_role_arn
  }
}
