variable "repository_prefix" {
  description = "Repositories are named <prefix>-<service>, matching the chart's image.repositoryPrefix."
  type        = string
  default     = "keel"
}

variable "services" {
  description = "One repository per service image."
  type        = list(string)
  default     = ["auth", "core", "notification", "search"]
}

variable "cross_account_pull" {
  description = "Let the accounts in pull_account_ids pull the images (environments in their own accounts)."
  type        = bool
  default     = false
}

variable "pull_account_ids" {
  description = "AWS accounts (the environments') whose EKS nodes may pull the images."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.pull_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "pull_account_ids must be 12-digit AWS account ids."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the images."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
}
