variable "region" {
  description = "AWS region of the state bucket and the image registry, e.g. eu-west-1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "state_bucket" {
  description = "Name of the S3 bucket for every Terraform state of Keel (globally unique)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{2,62}$", var.state_bucket))
    error_message = "state_bucket must be a valid S3 bucket name."
  }
}

variable "gitlab_project_path" {
  description = "GitLab project whose pipelines get AWS roles, e.g. keel-platform/keel."
  type        = string
}

variable "share_images" {
  description = "Let environment_account_ids pull the images (environments in accounts of their own)."
  type        = bool
  default     = false
}

variable "environment_account_ids" {
  description = "Accounts of the environments when they are not this account (they pull images)."
  type        = list(string)
  default     = []
}

variable "owner" {
  description = "Team that owns these resources (the owner tag)."
  type        = string
  default     = "platform"
}
