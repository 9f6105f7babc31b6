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

variable "engine_version" {
  description = "PostgreSQL version, e.g. \"17.5\" (minor upgrades apply automatically in the maintenance window)."
  type        = string

  validation {
    condition     = can(regex("^1[5-9](\\.[0-9]+)?$", var.engine_version))
    error_message = "engine_version must be PostgreSQL 15 or newer, e.g. 17.5."
  }
}

variable "instance_class" {
  description = "RDS instance class, e.g. db.t4g.medium (staging) or db.m7g.large (production)."
  type        = string

  validation {
    condition     = can(regex("^db\\.", var.instance_class))
    error_message = "instance_class must be an RDS class such as db.m7g.large."
  }
}

variable "allocated_storage_gb" {
  description = "Initial storage in GiB; storage autoscaling grows it up to max_allocated_storage_gb."
  type        = number
}

variable "max_allocated_storage_gb" {
  description = "Ceiling for storage autoscaling in GiB."
  type        = number
}

variable "backup_retention_days" {
  description = "Days of automated backups and point-in-time recovery (1-35)."
  type        = number

  validation {
    condition     = contains(range(1, 36), var.backup_retention_days)
    error_message = "backup_retention_days must be between 1 and 35."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the database (turn off deliberately before a destroy)."
  type        = bool
}
