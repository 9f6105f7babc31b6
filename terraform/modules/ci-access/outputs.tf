output "images_role_arn" {
  description = "CI variable AWS_ROLE_ARN of the image jobs."
  value       = aws_iam_role.images.arn
}

output "deploy_role_arn" {
  description = "CI variable AWS_ROLE_ARN of the deploy jobs; give it to the env roots' admin_role_arns."
  value       = aws_iam_role.deploy.arn
}

output "tf_plan_role_arn" {
  description = "CI variable AWS_ROLE_ARN of the terraform plan jobs."
  value       = aws_iam_role.tf_plan.arn
}

output "tf_apply_role_arn" {
  description = "CI variable AWS_ROLE_ARN of the terraform apply jobs."
  value       = aws_iam_role.tf_apply.arn
}
