variable "environment" {
  description = "staging or production; sizes replicas and retention."
  type        = string

  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "high_availability" {
  description = "Run the add-ons with several replicas spread over zones (production)."
  type        = bool
}

variable "acme_email" {
  description = "Contact address for Let's Encrypt certificates issued by cert-manager."
  type        = string

  validation {
    condition     = can(regex("^[^@ ]+@[^@ ]+\\.[a-z]+$", var.acme_email))
    error_message = "acme_email must be an e-mail address."
  }
}

variable "app_namespaces" {
  description = "Namespaces to create, with the Pod Security level each enforces (restricted for the platform; baseline where third-party charts run)."
  type        = map(string)

  validation {
    condition     = alltrue([for level in values(var.app_namespaces) : contains(["restricted", "baseline"], level)])
    error_message = "Each namespace's level must be restricted or baseline."
  }
}

variable "prometheus_retention" {
  description = "How long Prometheus keeps samples, e.g. 15d."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+[dhw]$", var.prometheus_retention))
    error_message = "prometheus_retention must look like 15d."
  }
}

variable "prometheus_storage_gb" {
  description = "Size of Prometheus's persistent volume in GiB."
  type        = number
}

variable "secret_prefix" {
  description = "Secrets Manager path for the add-ons' generated credentials, e.g. keel/production."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for the secrets this module stores."
  type        = string
}

variable "tags" {
  description = "Tags added to every AWS resource."
  type        = map(string)
}
