variable "gitlab_url" {
  description = "GitLab instance whose CI jobs get AWS roles through OIDC (id_tokens)."
  type        = string
  default     = "https://gitlab.com"

  validation {
    condition     = can(regex("^https://[^/]+$", var.gitlab_url))
    error_message = "gitlab_url must be https://host without a trailing slash."
  }
}

variable "project_path" {
  description = "GitLab project allowed to assume the roles, e.g. keel-platform/keel."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$", var.project_path))
    error_message = "project_path must look like group/project."
  }
}

variable "default_branch" {
  description = "The protected branch whose pipelines may push images, deploy and apply Terraform."
  type        = string
  default     = "main"
}

variable "state_bucket_arn" {
  description = "Terraform state bucket: the plan role reads it and writes lock files."
  type        = string
}

variable "ecr_repository_arns" {
  description = "Repositories the image role may push to."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key of the state bucket and the repositories."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
}
