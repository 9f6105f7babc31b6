variable "name" {
  description = "Name of the resources, e.g. keel-production."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,27}$", var.name))
    error_message = "name must be 3-28 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "vpc_id" {
  description = "VPC of the service."
  type        = string
}

variable "subnet_ids" {
  description = "Data subnets, one per zone."
  type        = list(string)
}

variable "allowed_security_group_ids" {
  description = "Security groups allowed to connect (the EKS nodes')."
  type        = list(string)
}

variable "multi_az" {
  description = "Run standbys or replicas in other zones with automatic failover (production)."
  type        = bool
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the data at rest."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
}

variable "node_type" {
  description = "ElastiCache node type, e.g. cache.t4g.small (staging) or cache.m7g.large (production)."
  type        = string

  validation {
    condition     = can(regex("^cache\\.", var.node_type))
    error_message = "node_type must be an ElastiCache type such as cache.m7g.large."
  }
}

variable "snapshot_retention_days" {
  description = "Days of daily snapshots to keep (0 turns snapshots off)."
  type        = number

  validation {
    condition     = contains(range(0, 36), var.snapshot_retention_days)
    error_message = "snapshot_retention_days must be between 0 and 35."
  }
}

variable "secret_prefix" {
  description = "Secrets Manager path under which each service's user is stored, e.g. keel/production."
  type        = string
}

variable "service_keys" {
  description = "Per service, the key prefixes its Redis user may read and write, and those it may only read."
  type = map(object({
    read_write = list(string)
    read_only  = list(string)
  }))

  validation {
    condition     = alltrue([for name, keys in var.service_keys : can(regex("^[a-z][a-z0-9-]*$", name)) ? can(keys.read_write[0]) : false])
    error_message = "service_keys: lowercase service names, each with at least one read_write prefix."
  }
}
