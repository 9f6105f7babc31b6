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
  description = "OpenSearch version, e.g. \"OpenSearch_2.19\"."
  type        = string

  validation {
    condition     = can(regex("^OpenSearch_[0-9]+\\.[0-9]+$", var.engine_version))
    error_message = "engine_version must look like OpenSearch_2.19."
  }
}

variable "instance_type" {
  description = "Data node type, e.g. t3.small.search (staging) or r7g.large.search (production)."
  type        = string
}

variable "instance_count" {
  description = "Data nodes; with multi_az a multiple of three (one share per zone)."
  type        = number
}

variable "volume_size_gb" {
  description = "EBS storage per data node in GiB."
  type        = number
}

variable "master_role_arn" {
  description = "IAM role mapped to the OpenSearch admin (fine-grained access control): the search service's IRSA role."
  type        = string
}

variable "master_instance_type" {
  description = "Type of the three dedicated master nodes (used when multi_az)."
  type        = string
  default     = "m7g.large.search"
}

variable "log_retention_days" {
  description = "Days to keep the domain's logs in CloudWatch (audit logs included)."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1827, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch retention of at least one year."
  }
}
