variable "name" {
  description = "Name of the IAM role."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.name))
    error_message = "name must be a valid IAM role name (at most 64 characters)."
  }
}

variable "oidc_provider_arn" {
  description = "ARN of the EKS cluster's OIDC provider (IRSA)."
  type        = string
}

variable "service_accounts" {
  description = "Kubernetes service accounts allowed to assume the role, as \"namespace:name\"."
  type        = list(string)

  validation {
    condition     = alltrue([for sa in var.service_accounts : can(regex("^[a-z0-9-]+:[a-z0-9-]+$", sa))])
    error_message = "Each service account must be written \"namespace:name\"."
  }
}

variable "policy_arns" {
  description = "Managed policies to attach, by a short key (the key keeps the attachment stable)."
  type        = map(string)
  default     = {}
}

variable "inline_policy" {
  description = "Whether to give the role the inline policy in policy_json (a flag, so the count is known at plan time even when the document is not)."
  type        = bool
  default     = false
}

variable "policy_json" {
  description = "The inline policy document, used when inline_policy is true."
  type        = string
  default     = ""
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
}
