variable "name" {
  description = "Name of the environment's resources, e.g. keel-production."
  type        = string
}

variable "services" {
  description = "Per service, the Consul KV keys its token may read."
  type = map(object({
    read_keys = list(string)
  }))
}

variable "secret_prefix" {
  description = "Secrets Manager path under which each service's token is stored, e.g. keel/production."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the secrets."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
}
